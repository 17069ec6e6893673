import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { format0G } from "../chain/amount.js";
import { optionalText, optionalWhole, requireOptions } from "../cli/options.js";
import { Ui } from "../ui.js";

/** flai:submit's arguments as src/task-definitions.ts declares them (an option left out is undefined). */
export interface SubmitTaskArguments {
  data?: string;
  model?: string;
  reward?: string;
  deadline?: string;
  public: boolean;
  enclave?: string;
  json: boolean;
}

export default async function submit(args: SubmitTaskArguments, hre: HardhatRuntimeEnvironment) {
  requireOptions(
    "flai:submit",
    args,
    ["data", "model", "reward"],
    "flai:submit --data fixtures/data.json --model fixtures/model.json --reward 0.01",
  );
  const deadlineSeconds = optionalWhole(args.deadline, "--deadline", { min: 1, hint: "seconds" });
  const ui = new Ui({ json: args.json });
  const submitted = await ui.progress("Submitting job", () =>
    hre.flai.jobs.submit({
      data: args.data,
      model: args.model,
      reward: args.reward,
      deadlineSeconds,
      public: args.public,
      enclave: optionalText(args.enclave, "--enclave"),
    }),
  );
  ui.info("data root", submitted.data.root);
  ui.info("model root", submitted.model.root);
  ui.info(
    "privacy",
    submitted.private
      ? `data and model spec stored encrypted to enclave ${submitted.enclave}; the trained model will be encrypted to you`
      : "public: data, model spec and trained model stored in plaintext",
  );
  ui.ok(`New Job Submitted with ID: ${submitted.job.id}`);
  ui.info("reward", `${format0G(submitted.job.reward)} escrowed`);
  ui.info("tx", `${submitted.txHash} (gas ${submitted.gasUsed})`);
  ui.result(submitted);
}
