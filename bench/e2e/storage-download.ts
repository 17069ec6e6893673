// 0G download speed (issue 15): our own segment loop (ZeroGStorage.download: claimed size checked,
// each segment proven against the root as it arrives) next to what the backend did before it, the
// SDK's Indexer.download followed by re-rooting the whole file (computeFileRoot), against the same
// in-process storage devnet, same files, same run. Run: `npx tsx bench/e2e/storage-download.ts`.
import { randomBytes } from "node:crypto";
import { rm, writeFile } from "node:fs/promises";
import path from "node:path";

import { Indexer } from "#0g-storage-sdk";

import { startStorageDevnet } from "../../src/devnet/storage-devnet.js";
import { zeroGStorageFor } from "../../src/storage/create.js";
import { computeFileRoot } from "../../src/storage/merkle.js";
import { quietly } from "../../src/util/sdk-console.js";
import { tempDir, tempProject } from "../../test/helpers/project.js";

const MiB = 1024 * 1024;

async function bestOf(runs: number, fn: (i: number) => Promise<unknown>): Promise<number> {
  let best = Infinity;
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    await fn(i);
    best = Math.min(best, performance.now() - start);
  }
  return best;
}

async function main() {
  const { hre } = await tempProject({ flai: { storage: { backend: "0g", timeoutSeconds: 60, retries: 1 } } });
  const connection = await hre.network.create();
  const devnet = await startStorageDevnet(connection, { dir: await tempDir("flai-bench-devnet-") });
  try {
    const storage = await zeroGStorageFor(connection, hre.config.flai, { indexerUrl: devnet.url });
    const work = await tempDir("flai-bench-download-");
    for (const size of [2048, 4 * MiB, 64 * MiB]) {
      const file = path.join(work, `blob-${size}.bin`);
      await writeFile(file, randomBytes(size));
      const { root } = await storage.upload(file);
      const runs = size > 8 * MiB ? 3 : 5;
      const ours = await bestOf(runs, async (i) => {
        const out = path.join(work, `ours-${size}-${i}`);
        await storage.download(root, out);
        await rm(out);
      });
      const sdk = await bestOf(runs, async (i) => {
        const out = path.join(work, `sdk-${size}-${i}`);
        const err = await quietly(() => new Indexer(devnet.url).download(root, out, false));
        if (err !== null) throw err;
        if ((await computeFileRoot(out)) !== root) throw new Error("root mismatch");
        await rm(out);
      });
      console.log(
        `${String(size).padStart(9)} B  ours ${ours.toFixed(0).padStart(6)} ms   SDK + re-root ${sdk.toFixed(0).padStart(6)} ms   (best of ${runs})`,
      );
    }
  } finally {
    await devnet.close();
  }
}

await main();
process.exit(0);
