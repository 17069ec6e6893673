import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";

import { expect } from "chai";
import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import type { FlaiConnection } from "../../src/chain/connection.js";
import { startStorageDevnet } from "../../src/devnet/storage-devnet.js";
import { zeroGStorageFor } from "../../src/storage/create.js";
import { computeRoot } from "../../src/storage/merkle.js";
import type { StorageProgress } from "../../src/storage/types.js";
import type { ZeroGStorage } from "../../src/storage/zerog.js";

import { expectFlaiError } from "../helpers/assert.js";
import { freePort } from "../helpers/net.js";
import { FIXTURES, tempDir, tempProject } from "../helpers/project.js";

type Devnet = Awaited<ReturnType<typeof startStorageDevnet>>;

describe("storage: the 0g backend (real SDK) against the local 0G storage devnet", function () {
  this.timeout(180_000);
  let hre: HardhatRuntimeEnvironment;
  let connection: FlaiConnection;
  let devnet: Devnet;
  let storage: ZeroGStorage;
  const progress: StorageProgress[] = [];

  before(async () => {
    ({ hre } = await tempProject({ flai: { storage: { backend: "0g", timeoutSeconds: 20, retries: 1 } } }));
    connection = await hre.network.create();
    devnet = await startStorageDevnet(connection, { dir: await tempDir() });
    storage = await zeroGStorageFor(connection, hre.config.flai, {
      indexerUrl: devnet.url,
      onProgress: (p) => progress.push(p),
    });
  });

  after(async () => devnet?.close());

  async function balanceOf(address: string) {
    return connection.ethers.provider.getBalance(address);
  }

  it("uploads with a transaction, then recognises the stored file without paying again", async () => {
    const file = path.join(await tempDir(), "blob.bin");
    const bytes = randomBytes(256 * 1024 + 1);
    await writeFile(file, bytes);
    const marketBefore = await balanceOf(devnet.marketAddress);
    // A root the indexer has never heard of is absent (its "file not found" error is an answer, not a failure).
    expect(await storage.has(computeRoot(bytes))).to.equal(false);
    const first = await storage.upload(file);
    expect(first).to.include({ root: computeRoot(bytes), size: bytes.length, alreadyStored: false });
    expect(first.txHash).to.match(/^0x[0-9a-f]{64}$/);
    const paid = (await balanceOf(devnet.marketAddress)) - marketBefore;
    expect(paid > 0n).to.equal(true);
    // Two segments, one per shard node, both counted.
    expect(progress.filter((p) => p.step === "uploading segments").at(-1)).to.include({ segmentsDone: 2, segmentsTotal: 2 });

    const again = await storage.upload(file);
    expect(again).to.include({ root: first.root, alreadyStored: true });
    expect(again.txHash).to.equal(undefined);
    expect((await balanceOf(devnet.marketAddress)) - marketBefore).to.equal(paid);
    expect(await storage.has(first.root)).to.equal(true);
  });

  it("uploads a file whose segments split unevenly over the two shards (SDK 1.2.8 would leave one out)", async () => {
    const file = path.join(await tempDir(), "odd.bin");
    const bytes = randomBytes(4 * 1024 * 1024 + 1); // 17 segments: 9 on one shard, 8 on the other
    await writeFile(file, bytes);
    progress.length = 0;
    const { root } = await storage.upload(file);
    expect(progress.filter((p) => p.step === "uploading segments").at(-1)).to.include({ segmentsDone: 17, segmentsTotal: 17 });
    expect(await storage.has(root)).to.equal(true);
    const dest = path.join(await tempDir(), "odd.bin");
    await storage.download(root, dest);
    expect((await readFile(dest)).equals(bytes)).to.equal(true);
  });

  it("downloads byte-identical, verified, and reads in memory", async () => {
    const bytes = await readFile(path.join(FIXTURES, "data.json"));
    const { root } = await storage.upload(bytes);
    const dest = path.join(await tempDir(), "nested", "data.json");
    const got = await storage.download(root, dest);
    expect(got).to.deep.equal({ root, size: bytes.length, path: dest });
    expect((await readFile(dest)).equals(bytes)).to.equal(true);
    expect(Buffer.from(await storage.read(root)).equals(bytes)).to.equal(true);
  });

  it("runs the whole compute-job flow through hre.flai on 0G storage", async () => {
    const flai = hre.flai.withStorage(storage);
    const submitted = await flai.jobs.submit({
      data: path.join(FIXTURES, "data.json"),
      model: path.join(FIXTURES, "model.json"),
      reward: "0.01",
      connection,
    });
    await flai.jobs.registerEnclave({ connection });
    const result = await flai.jobs.train(submitted.job.id, { connection });
    const completed = await flai.jobs.complete(result, { connection });
    expect(completed.job.resultHash).to.equal(result.resultHash);
  });

  describe("bad input and faults give clear errors", () => {
    it("an unknown root", async () => {
      const root = "0x" + "42".repeat(32);
      expect(await storage.has(root)).to.equal(false);
      await expectFlaiError(() => storage.download(root, path.join(FIXTURES, "never.json")), root, "no file");
    });

    it("a file that does not exist, and a destination that does", async () => {
      await expectFlaiError(() => storage.upload("/nonexistent/data.json"), "/nonexistent/data.json");
      const { root } = await storage.upload(Buffer.from("exists"));
      await expectFlaiError(() => storage.download(root, path.join(FIXTURES, "data.json")), "Destination exists");
    });

    it("no private key for the chosen 0G network: asks for it before any request", async () => {
      delete process.env.FLAI_PRIVATE_KEY;
      const { hre: galileo } = await tempProject({ flai: { storage: { backend: "0g" } } }, { network: "galileo" });
      await expectFlaiError(() => galileo.flai.storage.upload(Buffer.from("x")), "FLAI_PRIVATE_KEY", "keystore set");
    });

    it("an unreachable indexer names its URL", async () => {
      const port = await freePort();
      const offline = await zeroGStorageFor(
        connection,
        { ...hre.config.flai, storage: { ...hre.config.flai.storage, retries: 0 } },
        {
          indexerUrl: `http://127.0.0.1:${port}`,
        },
      );
      await expectFlaiError(() => offline.has("0x" + "11".repeat(32)), `http://127.0.0.1:${port}`);
    });

    it("a node that serves wrong bytes: rejected, nothing written", async () => {
      const bad = await startStorageDevnet(connection, { dir: await tempDir(), faults: { corruptDownloads: true } });
      try {
        const corrupt = await zeroGStorageFor(connection, hre.config.flai, { indexerUrl: bad.url });
        const bytes = randomBytes(3000);
        const { root } = await corrupt.upload(bytes);
        const dest = path.join(await tempDir(), "out.bin");
        await expectFlaiError(() => corrupt.download(root, dest), root, "not");
        expect(existsSync(dest)).to.equal(false);
      } finally {
        await bad.close();
      }
    });

    it("a shard node that never sees the transaction: a timeout, then the file counts as absent and is not downloadable", async () => {
      const halfBlind = await startStorageDevnet(connection, { dir: await tempDir(), shardFaults: { 1: { ignoreSubmissions: true } } });
      try {
        const config = { ...hre.config.flai, storage: { ...hre.config.flai.storage, timeoutSeconds: 3 } };
        const waiting = await zeroGStorageFor(connection, config, { indexerUrl: halfBlind.url });
        const bytes = randomBytes(1500);
        await expectFlaiError(() => waiting.upload(bytes), "no progress for 3 s", halfBlind.url);
        // Shard 0's node knows the tx, shard 1's never will: known, but not on nodes covering every shard.
        const root = computeRoot(bytes);
        expect(await waiting.has(root)).to.equal(false);
        await expectFlaiError(() => waiting.download(root, path.join(FIXTURES, "never.json")), root, "covering every shard", "unfinished");
      } finally {
        await halfBlind.close();
      }
    });

    it("a node that never sees the transaction: a timeout error, not a hang", async () => {
      const blind = await startStorageDevnet(connection, { dir: await tempDir(), faults: { ignoreSubmissions: true } });
      try {
        const config = { ...hre.config.flai, storage: { ...hre.config.flai.storage, timeoutSeconds: 3 } };
        const waiting = await zeroGStorageFor(connection, config, { indexerUrl: blind.url });
        await expectFlaiError(() => waiting.upload(randomBytes(1000)), "no progress for 3 s", blind.url, "synced");
      } finally {
        await blind.close();
      }
    });
  });
});
