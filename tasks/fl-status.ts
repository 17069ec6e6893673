import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { format0G } from "../src/amount.js";
import { flaiError } from "../src/errors.js";
import { Ui } from "../src/ui.js";

export default async function flStatus(args: { task: string; json: boolean }, hre: HardhatRuntimeEnvironment) {
  if (args.task === "") {
    throw flaiError("flai:fl-status needs --task <id>.");
  }
  const ui = new Ui({ json: args.json });
  const { task, rounds } = await hre.flai.fedavg.status(args.task);
  ui.title(`Federated task ${task.id} — ${task.status}${task.status === "active" ? `, round ${task.currentRound} of ${task.rounds}` : ""}`);
  ui.info("creator", task.creator);
  ui.info("quorum", task.quorum);
  ui.info("reward pool", `${format0G(task.rewardPool)} (${format0G(task.paidOut)} paid out)`);
  ui.info("global model", `${task.globalRoot} (sha256 ${task.globalHash})`);
  ui.info("measurement", task.measurement);
  for (const r of rounds) {
    const state = r.finalized
      ? `finalized — ${r.acceptedCount} accepted, ${r.rejectedCount ?? 0} rejected, accuracy ${r.metrics?.accuracy.toFixed(4)}` +
        (r.metrics !== undefined && r.metrics.epsilon > 0 ? `, ε ${r.metrics.epsilon}` : "")
      : `open until ${new Date(Number(r.deadline) * 1000).toISOString()} — ${r.updateCount} of ${task.quorum} updates`;
    ui.info(`round ${r.round}`, state);
  }
  ui.result({ task, rounds });
}
