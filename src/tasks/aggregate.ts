import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { flaiError } from "../errors.js";
import { parseId, parseRound } from "../chain/ids.js";
import { optionalNumber, subjectId } from "../cli/options.js";
import { Ui } from "../ui.js";

import { pollSeconds, printEvent, refuseWithoutFollow } from "../cli/follow-args.js";

/** flai:aggregate's arguments as src/task-definitions.ts declares them (an option left out is undefined). */
export interface AggregateTaskArguments {
  /** The task id given positionally (`flai:aggregate 1`); --task gives it too. */
  taskId?: string;
  task?: string;
  round?: string;
  follow: boolean;
  poll?: string;
  closeAfter?: string;
  json: boolean;
}

export default async function aggregate(args: AggregateTaskArguments, hre: HardhatRuntimeEnvironment) {
  const taskId = parseId(subjectId("flai:aggregate", "task", args.taskId, args.task, "flai:aggregate 1"), "task", "--task");
  const poll = pollSeconds(args, "flai:aggregate");
  const ui = new Ui({ json: args.json });
  if (args.follow) {
    if (args.round !== undefined) {
      throw flaiError(`--round ${args.round} does not go with --follow: a follower takes every round as it comes. Leave one of them out.`);
    }
    const closeAfterSeconds = optionalNumber(args.closeAfter, "--close-after", {
      min: 0,
      hint: "seconds to wait for more clients once the quorum is recorded",
    });
    // Runs until the task is finished or cancelled; each event is printed as it happens.
    await hre.flai.federated.followAggregator({ taskId, pollSeconds: poll, closeAfterSeconds, onEvent: printEvent(ui) });
    return;
  }
  refuseWithoutFollow(args.closeAfter, "--close-after", "flai:aggregate");
  const round = args.round === undefined ? undefined : parseRound(args.round);
  const r = await ui.progress("Aggregating in the enclave", () => hre.flai.federated.aggregate({ taskId, round }));
  ui.ok(`Round ${r.round} of task ${r.taskId} finalized: ${r.accepted.length} updates aggregated, ${r.rejected.length} rejected`);
  ui.info("accuracy", `${r.metrics.accuracy.toFixed(4)} on the held-out set (log-loss ${r.metrics.logLoss.toFixed(4)})`);
  if (r.metrics.dp !== null) {
    const dp = r.metrics.dp;
    ui.info(
      "privacy",
      `ε = ${dp.epsilon.toFixed(3)} this round, ${dp.epsilonTotal.toFixed(3)} over rounds 1–${r.round} (δ = ${dp.delta}, RDP accountant), ` +
        `noise ×${dp.noiseMultiplier} on sensitivity ${dp.sensitivity.toPrecision(3)}`,
    );
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
