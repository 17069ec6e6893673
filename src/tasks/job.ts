import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { parseId } from "../chain/ids.js";
import { requireOptions } from "../cli/options.js";
import { Ui } from "../ui.js";

import { printJob } from "../cli/print-job.js";

/** flai:job's arguments as src/task-definitions.ts declares them (an option left out is undefined). */
export interface JobTaskArguments {
  job?: string;
  json: boolean;
}

export default async function job(args: JobTaskArguments, hre: HardhatRuntimeEnvironment) {
  requireOptions("flai:job", args, ["job"], "flai:job --job 1");
  const jobId = parseId(args.job, "job", "--job");
  const ui = new Ui({ json: args.json });
  const view = await hre.flai.jobs.get(jobId);
  printJob(ui, view);
  ui.result(view);
}
