import { ZgFile } from "#0g-storage-sdk";

import { quietly } from "../util/sdk-console.js";

/** The 0G root as the official SDK computes it: the reference our own Merkle code is checked against. */
export async function sdkFileRoot(file: string): Promise<string> {
  return quietly(async () => {
    const zg = await ZgFile.fromFilePath(file);
    try {
      const [tree, err] = await zg.merkleTree();
      if (err !== null || tree === null) throw new Error(`SDK merkleTree failed: ${String(err)}`);
      return tree.rootHash()!;
    } finally {
      await zg.close();
    }
  });
}
