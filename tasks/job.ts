import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { Ui } from "../src/ui.js";

import { printJob } from "./print.js";

export default async function job(args: { id: string; json: boolean }, hre: HardhatRuntimeEnvironment) {
  const ui = new Ui({ json: args.json });
  const view = await hre.flai.jobs.get(args.id);
  printJob(ui, view);
  ui.result(view);
}
