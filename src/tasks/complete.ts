import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { format0G } from "../chain/amount.js";
import { flaiError } from "../errors.js";
import { parseId } from "../chain/ids.js";
import { readResultFile } from "../jobs/result-file.js";
import { requireOptions } from "../cli/options.js";
import { Ui } from "../ui.js";

/** flai:complete's arguments as src/task-definitions.ts declares them (an option left out is undefined). */
export interface CompleteTaskArguments {
  job?: string;
  result?: string;
  json: boolean;
}

export default async function complete(args: CompleteTaskArguments, hre: HardhatRuntimeEnvironment) {
  requireOptions("flai:complete", args, ["job", "result"], "flai:complete --job 1 --result .flai/results/job-1.json");
  const jobId = parseId(args.job, "job", "--job");
  const result = await readResultFile(args.result);
  if (result.jobId !== jobId) {
    throw flaiError(
      `${args.result} is the result of job ${result.jobId}, not of job ${jobId}. Pass the result file flai:train wrote for job ${jobId}.`,
    );
  }
  const ui = new Ui({ json: args.json });
  const done = await ui.progress("Completing job", () => hre.flai.jobs.complete(result));
  ui.ok(`Job ${done.job.id} marked complete with result hash: ${done.job.resultHash}`);
  ui.info("reward", `${format0G(done.reward)} paid to ${done.payee}`);
  ui.info("tx", `${done.txHash} (gas ${done.gasUsed})`);
  ui.result(done);
}
