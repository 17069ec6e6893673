import path from "node:path";

import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { format0G } from "../src/amount.js";
import { flaiError } from "../src/errors.js";
import { writeResultFile } from "../src/jobs/result-file.js";
import { Ui } from "../src/ui.js";
import { writeFileAtomic } from "../src/util/fs.js";

export default async function train(
  args: { job: string; out: string; payee: string; complete: boolean; json: boolean },
  hre: HardhatRuntimeEnvironment,
) {
  if (args.job === "") {
    throw flaiError("flai:train needs --job <id>. List a job with: npx hardhat flai:job <id>");
  }
  const ui = new Ui({ json: args.json });
  const result = await ui.progress(`Training job ${args.job} in the enclave`, () =>
    hre.flai.jobs.train(args.job, { payee: args.payee === "" ? undefined : args.payee }),
  );
  const out = args.out !== "" ? path.resolve(args.out) : path.join(hre.config.paths.root, ".flai", "results", `job-${result.jobId}.json`);
  await writeResultFile(out, result);
  // The model file itself, like the seed's trained_model.json: its SHA-256 is the result hash.
  const modelFile = out.replace(/\.json$/, "") + ".model.json";
  await writeFileAtomic(modelFile, result.modelBytes);
  const t = result.model.training;
  ui.ok(`Trained model saved to ${path.relative(process.cwd(), modelFile)}`);
  ui.info("accuracy", t.accuracy.toFixed(4));
  ui.info("log-loss", t.logLoss.toFixed(4));
  ui.info("iterations", `${t.iterations}${t.converged ? "" : " (not converged)"}`);
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
