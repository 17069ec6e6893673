import path from "node:path";

import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { format0G } from "../chain/amount.js";
import { parseId } from "../chain/ids.js";
import { checkTrainOutputs, trainOutputs, writeTrainOutputs } from "../jobs/train-output.js";
import { optionalText, subjectId } from "../cli/options.js";
import { Ui } from "../ui.js";
import { jobResultFile } from "../paths.js";

/** flai:train's arguments as src/task-definitions.ts declares them (an option left out is undefined). */
export interface TrainTaskArguments {
  /** The job id given positionally (`flai:train 1`); --job gives it too. */
  jobId?: string;
  job?: string;
  out?: string;
  payee?: string;
  complete: boolean;
  json: boolean;
  force?: boolean;
}

export default async function train(args: TrainTaskArguments, hre: HardhatRuntimeEnvironment) {
  const jobId = parseId(subjectId("flai:train", "job", args.jobId, args.job, "flai:train 1"), "job", "--job");
  const payee = optionalText(args.payee, "--payee");
  const outOption = optionalText(args.out, "--out");
  const ui = new Ui({ json: args.json });
  const out = outOption !== undefined ? path.resolve(outOption) : jobResultFile(hre.config.paths.root, jobId);
  // The default location is the tool's own; a user's --out is only replaced with --force.
  const replace = outOption === undefined || args.force === true;
  const files = trainOutputs(out);
  await checkTrainOutputs(files, replace, outOption === undefined ? "The result file (.flai/results)" : "--out");
  const result = await ui.progress(`Training job ${jobId} in the enclave`, () => hre.flai.jobs.train(jobId, { payee }));
  const modelFile = await writeTrainOutputs(files, result, replace);
  const t = result.model?.training;
  if (modelFile !== undefined) ui.ok(`Trained model saved to ${path.relative(process.cwd(), modelFile)}`);
  else {
    ui.ok(`Trained model stored encrypted to the submitter ${result.submitter}; this host never saw it`);
    ui.info("reading it", `the submitter runs: npx hardhat flai:result ${jobId} --out model.json`);
  }
  ui.info("result root", `${result.resultRoot}${result.private ? " (ciphertext)" : ""}`);
  // Only multinomial (or renamed binary) models carry their class list; 0/1 models keep the old output.
  if (result.model?.classes !== undefined) ui.info("classes", result.model.classes.map((c) => JSON.stringify(c)).join(", "));
  if (t !== undefined) {
    ui.info("accuracy", t.accuracy.toFixed(4));
    ui.info("log-loss", t.logLoss.toFixed(4));
    ui.info("iterations", `${t.iterations}${t.converged ? "" : " (not converged)"}`);
  }
  ui.ok(`Result Hash: ${result.resultHash.slice(2)}`);
  ui.info("signed by", `enclave ${result.signer} for payee ${result.payee}`);
  ui.info("result file", path.relative(process.cwd(), out));
  let completed;
  if (args.complete) {
    await hre.flai.jobs.registerEnclave();
    completed = await ui.progress("Completing job", () => hre.flai.jobs.complete(result));
    ui.ok(`Job ${completed.job.id} marked complete with result hash: ${result.resultHash.slice(2)}`);
    ui.info("reward", `${format0G(completed.reward)} paid to ${completed.payee} (gas ${completed.gasUsed})`);
  }
  ui.result({ result: { ...result, modelBytes: undefined }, resultFile: out, modelFile, completed });
}
