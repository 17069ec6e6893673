import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { parseId } from "../src/chain/ids.js";
import { requireOptions } from "../src/task-args.js";
import { Ui } from "../src/ui.js";

import { printJob } from "./print.js";

export default async function job(args: { job?: string; json: boolean }, hre: HardhatRuntimeEnvironment) {
  requireOptions("flai:job", args, ["job"], "flai:job --job 1");
  const jobId = parseId(args.job, "job", "--job");
  const ui = new Ui({ json: args.json });
  const view = await hre.flai.jobs.get(jobId);
  printJob(ui, view);
  ui.result(view);
}
