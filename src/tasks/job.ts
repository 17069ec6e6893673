import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { parseId } from "../chain/ids.js";
import { subjectId } from "../cli/options.js";
import { Ui } from "../ui.js";

import { printJob } from "../cli/print-job.js";

/** flai:job's arguments as src/task-definitions.ts declares them (an option left out is undefined). */
export interface JobTaskArguments {
  /** The job id given positionally (`flai:job 1`); --job gives it too. */
  jobId?: string;
  job?: string;
  json: boolean;
}

export default async function job(args: JobTaskArguments, hre: HardhatRuntimeEnvironment) {
  const jobId = parseId(subjectId("flai:job", "job", args.jobId, args.job, "flai:job 1"), "job", "--job");
  const ui = new Ui({ json: args.json });
  const view = await hre.flai.jobs.get(jobId);
  printJob(ui, view);
  ui.result(view);
}
