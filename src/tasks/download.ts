import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { Ui, describeProgress } from "../ui.js";

/** flai:download's arguments as src/task-definitions.ts declares them (an option left out is undefined). */
export interface DownloadTaskArguments {
  root: string;
  out: string;
  json: boolean;
}

export default async function download(args: DownloadTaskArguments, hre: HardhatRuntimeEnvironment) {
  const ui = new Ui({ json: args.json });
  const got = await ui.progress(`Fetching ${args.root}`, (update) =>
    hre.flai.storage.download(args.root, args.out, { onProgress: (p) => update(describeProgress(p)) }),
  );
  ui.ok(`Wrote ${got.path} (${got.size} bytes); its 0G root matches ${got.root}`);
  ui.result(got);
}
