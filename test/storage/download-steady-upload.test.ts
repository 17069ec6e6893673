import { randomBytes } from "node:crypto";

import { expect } from "chai";
import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import type { FlaiConnection } from "../../src/chain/connection.js";
import { startStorageDevnet } from "../../src/devnet/storage-devnet.js";
import { zeroGStorageFor } from "../../src/storage/create.js";
import { computeRoot, SEGMENT_SIZE } from "../../src/storage/merkle.js";
import type { StorageProgress } from "../../src/storage/types.js";
import { tempDir, tempProject } from "../helpers/project.js";

// Issue 15: "a steadily progressing download is abandoned as 'made no progress'" — the stall timer
// restarted only when the step's name changed, and every segment is one step ("uploading segments"),
// so a transfer longer than timeoutSeconds was abandoned however steadily it went. It now restarts
// whenever a segment is accepted (uploads) or written (downloads: test/storage/download-stops).

describe("0G uploads (issue 15): a slow but steady upload is not abandoned by the stall timer", function () {
  this.timeout(120_000);
  let hre: HardhatRuntimeEnvironment;
  let connection: FlaiConnection;
  before(async () => {
    ({ hre } = await tempProject({ flai: { storage: { backend: "0g", timeoutSeconds: 2, retries: 1 } } }));
    connection = await hre.network.create();
  });

  it("8 segments accepted one at a time, 700 ms apart on each shard node (2.8 s in all, 2 s stall timeout): stored", async () => {
    const devnet = await startStorageDevnet(connection, { dir: await tempDir(), faults: { slowUploadsMs: 700 } });
    try {
      const progress: StorageProgress[] = [];
      const storage = await zeroGStorageFor(connection, hre.config.flai, { indexerUrl: devnet.url, onProgress: (p) => progress.push(p) });
      const bytes = randomBytes(8 * SEGMENT_SIZE);
      const started = Date.now();
      const stored = await storage.upload(bytes);
      expect(stored).to.include({ root: computeRoot(bytes), alreadyStored: false });
      const segmentSteps = progress.filter((p) => p.step === "uploading segments");
      expect(segmentSteps.at(-1)).to.include({ segmentsDone: 8, segmentsTotal: 8 });
      expect(Date.now() - started, "the segments took longer than the stall timeout").to.be.above(2000);
      expect(await storage.has(stored.root)).to.equal(true);
    } finally {
      await devnet.close();
    }
  });
});
