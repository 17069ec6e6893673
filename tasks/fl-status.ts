import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { format0G } from "../src/amount.js";
import { parseId } from "../src/ids.js";
import { requireOptions } from "../src/task-args.js";
import { Ui } from "../src/ui.js";

export default async function flStatus(args: { task?: string; json: boolean }, hre: HardhatRuntimeEnvironment) {
  requireOptions("flai:fl-status", args, ["task"], "flai:fl-status --task 1");
  const taskId = parseId(args.task, "task", "--task");
  const ui = new Ui({ json: args.json });
  const { task, rounds } = await hre.flai.fedavg.status(taskId);
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
