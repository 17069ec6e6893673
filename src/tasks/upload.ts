import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { Ui, describeProgress } from "../ui.js";

/** flai:upload's arguments as src/task-definitions.ts declares them (an option left out is undefined). */
export interface UploadTaskArguments {
  file: string;
  json: boolean;
}

export default async function upload(args: UploadTaskArguments, hre: HardhatRuntimeEnvironment) {
  const ui = new Ui({ json: args.json });
  const stored = await ui.progress(`Storing ${args.file}`, (update) =>
    hre.flai.storage.upload(args.file, { onProgress: (p) => update(describeProgress(p)) }),
  );
  ui.ok(`${stored.alreadyStored ? "Already stored" : "Stored"} ${args.file} (${stored.size} bytes) in ${hre.flai.storage.kind} storage`);
  ui.info("0G root", stored.root);
  ui.result({ file: args.file, ...stored, backend: hre.flai.storage.kind });
}
