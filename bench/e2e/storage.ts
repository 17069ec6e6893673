// End-to-end rows for 0G storage on the local devnet (issue 14): whole `ZeroGStorage.upload` calls
// through the real SDK (@0gfoundation/0g-ts-sdk) against the in-process storage devnet (two shard
// nodes, contracts on the in-process chain), next to the floor measured in the same run: the local
// backend storing the same file (root + copy), which is what an upload must do at least, plus the
// chain transaction. Run alone with `npx tsx bench/e2e/storage.ts` (prints the rows as JSON lines).
//
// Rows:
//   - "0G upload 64 MiB (devnet)": the issue's `flai:upload` of 64 MiB without Hardhat's start-up.
//   - "0G upload 2 KB (devnet)": what `flai:fl-client` spends in storage (an encrypted update is a
//     small file): before this work, two fixed 1 s sleeps of the SDK's waitForLogEntry.
import { randomBytes } from "node:crypto";
import { rm, writeFile } from "node:fs/promises";
import path from "node:path";

import { startStorageDevnet } from "../../src/devnet/storage-devnet.js";
import { zeroGStorageFor } from "../../src/storage/create.js";
import { LocalStorage } from "../../src/storage/local.js";
import { tempDir, tempProject } from "../../test/helpers/project.js";

export interface Row {
  row: string;
  measuredMs: number;
  floorMs: number;
  floorWhat: string;
  note?: string;
}

async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const start = performance.now();
  const value = await fn();
  return { ms: performance.now() - start, value };
}

/** The best of `runs` fresh files of `size` bytes (fresh: an already-stored file is not uploaded again). */
async function bestOf(runs: number, size: number, dir: string, upload: (file: string) => Promise<unknown>): Promise<number> {
  let best = Infinity;
  for (let i = 0; i < runs; i++) {
    const file = path.join(dir, `blob-${size}-${i}-${randomBytes(4).toString("hex")}.bin`);
    await writeFile(file, randomBytes(size));
    best = Math.min(best, (await timed(() => upload(file))).ms);
    await rm(file, { force: true });
  }
  return best;
}

export async function measure(): Promise<Row[]> {
  const { hre } = await tempProject({ flai: { storage: { backend: "0g", timeoutSeconds: 60, retries: 1 } } });
  const connection = await hre.network.create();
  const devnet = await startStorageDevnet(connection, { dir: await tempDir("flai-bench-devnet-") });
  try {
    const storage = await zeroGStorageFor(connection, hre.config.flai, { indexerUrl: devnet.url });
    const local = new LocalStorage(await tempDir("flai-bench-local-"));
    const files = await tempDir("flai-bench-files-");
    // Warm-up: the first upload deploys nothing, but loads the SDK, ethers' ABI coders and the hashers.
    await bestOf(1, 4096, files, (f) => storage.upload(f));

    // One transaction on the same chain: the part of an upload no storage work can remove.
    const [payer] = await connection.ethers.getSigners();
    const txMs = (
      await timed(async () => {
        const tx = await payer!.sendTransaction({ to: payer!.address, value: 1n });
        await tx.wait();
      })
    ).ms;

    const rows: Row[] = [];
    for (const { row, size, runs } of [
      { row: "0G upload 2 KB (devnet)", size: 2048, runs: 3 },
      { row: "0G upload 64 MiB (devnet)", size: 64 * 1024 * 1024, runs: 2 },
    ]) {
      const measuredMs = await bestOf(runs, size, files, (f) => storage.upload(f));
      const localMs = await bestOf(runs, size, files, (f) => local.upload(f));
      rows.push({
        row,
        measuredMs,
        floorMs: localMs + txMs,
        floorWhat: `local backend storing the same file (${localMs.toFixed(0)} ms) + one transaction (${txMs.toFixed(0)} ms)`,
      });
    }
    return rows;
  } finally {
    await devnet.close();
  }
}

if (process.argv[1] === import.meta.filename) {
  for (const row of await measure()) console.log(JSON.stringify({ bench: "e2e-storage", ...row, ratio: row.measuredMs / row.floorMs }));
  process.exit(0);
}
