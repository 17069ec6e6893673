import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { format0G } from "../src/amount.js";
import { flaiError } from "../src/errors.js";
import { readResultFile } from "../src/jobs/result-file.js";
import { Ui } from "../src/ui.js";

export default async function complete(args: { job: string; result: string; json: boolean }, hre: HardhatRuntimeEnvironment) {
  if (args.job === "" || args.result === "") {
    throw flaiError("flai:complete needs --job <id> and --result <file written by flai:train>.");
  }
  const result = await readResultFile(args.result);
  if (result.jobId.toString() !== args.job.trim()) {
    throw flaiError(`${args.result} is the result of job ${result.jobId}, not of job ${args.job}.`);
  }
  const ui = new Ui({ json: args.json });
  const done = await ui.progress("Completing job", () => hre.flai.jobs.complete(result));
  ui.ok(`Job ${done.job.id} marked complete with result hash: ${done.job.resultHash}`);
  ui.info("reward", `${format0G(done.reward)} paid to ${done.payee}`);
  ui.info("tx", `${done.txHash} (gas ${done.gasUsed})`);
  ui.result(done);
}
