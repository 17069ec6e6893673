import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { parseId, parseRound } from "../src/ids.js";
import { requireOptions } from "../src/task-args.js";
import { Ui } from "../src/ui.js";

export default async function aggregate(args: { task?: string; round?: string; json: boolean }, hre: HardhatRuntimeEnvironment) {
  requireOptions("flai:aggregate", args, ["task"], "flai:aggregate --task 1");
  const taskId = parseId(args.task, "task", "--task");
  const round = args.round === undefined ? undefined : parseRound(args.round);
  const ui = new Ui({ json: args.json });
  const r = await ui.progress("Aggregating in the enclave", () => hre.flai.fedavg.aggregate({ taskId, round }));
  ui.ok(`Round ${r.round} of task ${r.taskId} finalized: ${r.accepted.length} updates aggregated, ${r.rejected.length} rejected`);
  ui.info("accuracy", `${r.metrics.accuracy.toFixed(4)} on the held-out set (log-loss ${r.metrics.logLoss.toFixed(4)})`);
  if (r.metrics.dp !== null) {
    ui.info("privacy", `ε = ${r.metrics.dp.epsilon.toFixed(3)} this round (δ = ${r.metrics.dp.delta}), noise ×${r.metrics.dp.noiseMultiplier}`);
  }
  ui.info("global model", `${r.globalRoot} (sha256 ${r.globalHash})`);
  ui.info("commitment", r.commitment);
  ui.info("report", r.reportRoot);
  for (const x of r.rejected) {
    ui.info("rejected", `${x.client}: ${x.reason}`);
  }
  ui.info("tx", `${r.txHash} (gas ${r.gasUsed})`);
  ui.result(r);
}
