import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { format0G } from "../chain/amount.js";
import { optionalWhole, requireOptions } from "../cli/options.js";
import { Ui } from "../ui.js";

/** flai:submit's arguments as src/task-definitions.ts declares them (an option left out is undefined). */
export interface SubmitTaskArguments {
  data?: string;
  model?: string;
  reward?: string;
  deadline?: string;
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
    }),
  );
  ui.info("data root", submitted.data.root);
  ui.info("model root", submitted.model.root);
  ui.ok(`New Job Submitted with ID: ${submitted.job.id}`);
  ui.info("reward", `${format0G(submitted.job.reward)} escrowed`);
  ui.info("tx", `${submitted.txHash} (gas ${submitted.gasUsed})`);
  ui.result(submitted);
}
