import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { flaiError } from "../src/errors.js";
import { Ui } from "../src/ui.js";

export default async function aggregate(args: { task: string; round: number; json: boolean }, hre: HardhatRuntimeEnvironment) {
  if (args.task === "") {
    throw flaiError("flai:aggregate needs --task <id>.");
  }
  const ui = new Ui({ json: args.json });
  const r = await ui.progress("Aggregating in the enclave", () =>
    hre.flai.fedavg.aggregate({ taskId: args.task, round: args.round === 0 ? undefined : args.round }),
  );
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
