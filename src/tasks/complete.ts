import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { format0G } from "../chain/amount.js";
import { flaiError } from "../errors.js";
import { parseId } from "../chain/ids.js";
import { readResultFile } from "../jobs/result-file.js";
import { pickSubject, requireOptions, subjectLabel } from "../cli/options.js";
import { Ui } from "../ui.js";

/** flai:complete's arguments as src/task-definitions.ts declares them (an option left out is undefined). */
export interface CompleteTaskArguments {
  /** The job id given positionally (`flai:complete 1`); --job gives it too. */
  jobId?: string;
  job?: string;
  result?: string;
  json: boolean;
}

export default async function complete(args: CompleteTaskArguments, hre: HardhatRuntimeEnvironment) {
  // The job id and --result are checked as one, so a user fixes both in one go.
  const given = { job: pickSubject("flai:complete", "job", args.jobId, args.job), result: args.result };
  requireOptions("flai:complete", given, ["job", "result"], "flai:complete 1 --result .flai/results/job-1.json", {
    job: subjectLabel("job"),
  });
  const jobId = parseId(given.job, "job", "--job");
  const result = await readResultFile(given.result);
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
