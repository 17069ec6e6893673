import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { Ui, describeProgress } from "../ui.js";

export default async function upload(args: { file: string; json: boolean }, hre: HardhatRuntimeEnvironment) {
  const ui = new Ui({ json: args.json });
  const stored = await ui.progress(`Storing ${args.file}`, (update) => hre.flai.storage.upload(args.file, { onProgress: (p) => update(describeProgress(p)) }));
  ui.ok(`${stored.alreadyStored ? "Already stored" : "Stored"} ${args.file} (${stored.size} bytes) in ${hre.flai.storage.kind} storage`);
  ui.info("0G root", stored.root);
  ui.result({ file: args.file, ...stored, backend: hre.flai.storage.kind });
}
