import { randomBytes } from "node:crypto";
import { readdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";

import { expect } from "chai";
import { Interface } from "ethers";
import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import type { FlaiConnection } from "../../src/chain/connection.js";
import { serveChain } from "../../src/chain/chain-server.js";
import { startStorageDevnet, type StorageDevnet } from "../../src/devnet/storage-devnet.js";
import { startStorageNode, type StorageNodeServer } from "../../src/devnet/storage-node.js";
import { decodeSubmit, SUBMIT_EVENT } from "../../src/devnet/storage/sync.js";
import { zeroGStorageFor } from "../../src/storage/create.js";
import { computeRoot, SEGMENT_SIZE } from "../../src/storage/merkle.js";
import type { StorageProgress } from "../../src/storage/types.js";

import { expectFlaiError } from "../helpers/assert.js";
import { startFlakyProxy, type ProxyFault } from "../helpers/flaky-proxy.js";
import { tempDir, tempProject } from "../helpers/project.js";

const SUBMIT_TOPIC = new Interface([SUBMIT_EVENT]).getEvent("Submit")!.topicHash;
/** Short enough for tests: each request gets 4 s / (1 + 2 retries) ≈ 1.3 s before it is retried. */
const STORAGE = { backend: "0g", timeoutSeconds: 4, retries: 2 } as const;

describe("faults: 0G storage (real SDK) against a failing storage node, EVM RPC and indexer", function () {
  this.timeout(120_000);
  let hre: HardhatRuntimeEnvironment;
  let connection: FlaiConnection;

  before(async () => {
    ({ hre } = await tempProject({ flai: { storage: STORAGE } }));
    connection = await hre.network.create();
  });

  /** How many Flow submissions (each one paid for) name `root`. */
  async function submissionsOf(flowAddress: string, root: string): Promise<number> {
    const logs = (await connection.provider.request({
      method: "eth_getLogs",
      params: [{ address: flowAddress, topics: [SUBMIT_TOPIC], fromBlock: "0x0", toBlock: "latest" }],
    })) as Array<{ topics: string[]; data: string }>;
    return logs.map(decodeSubmit).filter((s) => s.root === root).length;
  }

  async function balanceOf(address: string): Promise<bigint> {
    return connection.ethers.provider.getBalance(address);
  }

  async function fileInfoOn(nodeUrl: string, root: string): Promise<{ finalized: boolean } | null> {
    const res = await fetch(nodeUrl, {
      method: "POST",
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "zgs_getFileInfo", params: [root, true] }),
    });
    return ((await res.json()) as { result: { finalized: boolean } | null }).result;
  }

  describe("a storage node killed mid-upload", () => {
    it("the re-run on the restarted node completes without paying again, and the file downloads byte-identical", async () => {
      // Two shard nodes; shard 0's node dies when asked for a second segment, shard 1's finishes.
      const devnet = await startStorageDevnet(connection, { dir: await tempDir(), shardFaults: { 0: { dieAfterSegments: 1 } } });
      const [dying, survivor] = devnet.nodes as [StorageNodeServer, StorageNodeServer];
      const config = { ...hre.config.flai, storage: { ...hre.config.flai.storage, timeoutSeconds: 20 } };
      const progress: StorageProgress[] = [];
      const storage = await zeroGStorageFor(connection, config, { indexerUrl: devnet.url, onProgress: (p) => progress.push(p) });
      const file = path.join(await tempDir(), "model.bin");
      const bytes = randomBytes(4 * 1024 * 1024 + 1);
      await writeFile(file, bytes);
      const root = computeRoot(bytes);
      expect(Math.ceil(bytes.length / SEGMENT_SIZE)).to.equal(17);

      let restarted: StorageNodeServer | undefined;
      try {
        const marketBefore = await balanceOf(devnet.marketAddress);
        await expectFlaiError(() => storage.upload(file), "0G Storage failed while uploading", file, devnet.url);
        expect(await submissionsOf(devnet.flowAddress, root)).to.equal(1);
        const paid = (await balanceOf(devnet.marketAddress)) - marketBefore;
        expect(paid > 0n).to.equal(true);
        // The dead node kept the one segment it was writing; the other shard's node has all of its own.
        const [seq] = await readdir(path.join(dying.dir, "segments"));
        const kept = (await readdir(path.join(dying.dir, "segments", seq!))).filter((n) => n.endsWith(".bin")).length;
        expect(kept).to.equal(1);
        expect(await fileInfoOn(survivor.url, root)).to.include({ finalized: true });
        expect(await storage.has(root)).to.equal(false);

        const chainId = BigInt((await connection.provider.request({ method: "eth_chainId" })) as string);
        const port = Number(new URL(dying.url).port);
        restarted = await startStorageNode({
          provider: connection.provider,
          flowAddress: devnet.flowAddress,
          chainId,
          dir: dying.dir,
          port,
          shard: dying.shard,
        });
        expect(restarted.url).to.equal(dying.url);

        progress.length = 0;
        const again = await storage.upload(file);
        expect(again).to.deep.equal({ root, size: bytes.length, txHash: undefined, alreadyStored: false });
        expect(await submissionsOf(devnet.flowAddress, root)).to.equal(1);
        expect((await balanceOf(devnet.marketAddress)) - marketBefore).to.equal(paid);
        expect(await storage.has(root)).to.equal(true);
        // Only the restarted node's shard was sent again (its stored segment is skipped as a duplicate).
        const sent = progress.filter((p) => p.step === "uploading segments").at(-1);
        expect(sent?.segmentsDone).to.be.within(8, 9);

        const dest = path.join(await tempDir(), "model.bin");
        await storage.download(root, dest);
        expect((await readFile(dest)).equals(bytes)).to.equal(true);
      } finally {
        await restarted?.close();
        await devnet.close();
      }
    });
  });

  describe('node back-pressure ("too many data writing")', () => {
    it("refused twice: the SDK waits and retries, the upload completes and is paid once", async () => {
      const devnet = await startStorageDevnet(connection, { dir: await tempDir(), faults: { tooManyWritings: 2 } });
      try {
        const storage = await zeroGStorageFor(
          connection,
          { ...hre.config.flai, storage: { ...hre.config.flai.storage, timeoutSeconds: 20 } },
          { indexerUrl: devnet.url },
        );
        const bytes = randomBytes(3000); // one segment: one node is asked, and refuses twice
        const result = await storage.upload(bytes);
        expect(result).to.include({ root: computeRoot(bytes), alreadyStored: false });
        expect(await submissionsOf(devnet.flowAddress, result.root)).to.equal(1);
        expect(await storage.has(result.root)).to.equal(true);
      } finally {
        await devnet.close();
      }
    });

    it("refused beyond the SDK's three attempts: a plugin error quoting the node", async () => {
      const devnet = await startStorageDevnet(connection, { dir: await tempDir(), faults: { tooManyWritings: 3 } });
      try {
        const storage = await zeroGStorageFor(
          connection,
          { ...hre.config.flai, storage: { ...hre.config.flai.storage, timeoutSeconds: 20 } },
          { indexerUrl: devnet.url },
        );
        await expectFlaiError(() => storage.upload(randomBytes(3000)), "0G Storage failed while uploading", "too many data writing: 128");
      } finally {
        await devnet.close();
      }
    });
  });

  describe("a flaky JSON-RPC in front of the chain (evmRpc) or the indexer", () => {
    let devnet: StorageDevnet;
    let chain: Awaited<ReturnType<typeof serveChain>>;
    /** A stored file the indexer tests look up and download. */
    const stored = randomBytes(3000);
    const storedRoot = computeRoot(stored);

    before(async () => {
      devnet = await startStorageDevnet(connection, { dir: await tempDir() });
      chain = await serveChain(connection.provider);
      await (await storageVia({})).upload(stored);
    });

    after(async () => {
      await devnet?.close();
      await chain?.close();
    });

    function storageVia({ evmRpc = chain.url, indexerUrl = devnet.url }: { evmRpc?: string; indexerUrl?: string }) {
      return zeroGStorageFor(connection, { ...hre.config.flai, storage: { ...hre.config.flai.storage, evmRpc } }, { indexerUrl });
    }

    /** Every attempt of a call fits in timeoutSeconds; a little slack for the backoff and the SDK. */
    const BOUND_MS = STORAGE.timeoutSeconds * 1000 + 2500;

    const transient: Array<[ProxyFault, number]> = [
      ["reset", 2],
      ["503", 2],
      ["hang", 1],
    ];

    for (const [fault, times] of transient) {
      it(`EVM RPC ${fault} ×${times}: the reads are retried, the upload completes and is paid once`, async () => {
        const proxy = await startFlakyProxy(chain.url, { fault, failFirst: times });
        try {
          const storage = await storageVia({ evmRpc: proxy.url });
          const bytes = randomBytes(1000);
          const started = Date.now();
          const result = await storage.upload(bytes);
          expect(Date.now() - started).to.be.below(BOUND_MS);
          expect(result).to.include({ root: computeRoot(bytes), alreadyStored: false });
          expect(proxy.failed).to.equal(times);
          expect(await submissionsOf(devnet.flowAddress, result.root)).to.equal(1);
        } finally {
          await proxy.close();
        }
      });
    }

    for (const fault of ["reset", "hang"] as const) {
      it(`EVM RPC that never recovers (${fault}): a plugin error naming its URL, within the timeout, nothing paid`, async () => {
        const proxy = await startFlakyProxy(chain.url, { fault, failFirst: Infinity });
        try {
          const storage = await storageVia({ evmRpc: proxy.url });
          const bytes = randomBytes(1000);
          const started = Date.now();
          await expectFlaiError(() => storage.upload(bytes), proxy.url);
          expect(Date.now() - started).to.be.below(BOUND_MS);
          expect(await submissionsOf(devnet.flowAddress, computeRoot(bytes))).to.equal(0);
        } finally {
          await proxy.close();
        }
      });
    }

    for (const [fault, times] of transient) {
      it(`indexer ${fault} ×${times}: lookups and downloads are retried and verified`, async () => {
        // First a presence lookup fails, then (on a second proxy) the lookup a download starts with (the
        // download itself then goes to the nodes the indexer lists; it makes no second lookup).
        const lookups = await startFlakyProxy(devnet.url, { fault, failFirst: times });
        const downloads = await startFlakyProxy(devnet.url, {
          fault,
          failFirst: times,
          matches: (body) => body.includes("indexer_getFileLocations"),
        });
        try {
          let started = Date.now();
          expect(await (await storageVia({ indexerUrl: lookups.url })).has(storedRoot)).to.equal(true);
          expect(Date.now() - started).to.be.below(BOUND_MS);
          expect(lookups.failed).to.equal(times);
          const dest = path.join(await tempDir(), "out.bin");
          started = Date.now();
          await (await storageVia({ indexerUrl: downloads.url })).download(storedRoot, dest);
          expect(Date.now() - started).to.be.below(BOUND_MS);
          expect(downloads.failed).to.equal(times);
          expect((await readFile(dest)).equals(stored)).to.equal(true);
        } finally {
          await lookups.close();
          await downloads.close();
        }
      });
    }

    for (const fault of ["reset", "hang"] as const) {
      it(`indexer that never recovers (${fault}): a plugin error naming its URL, within the timeout`, async () => {
        const proxy = await startFlakyProxy(devnet.url, { fault, failFirst: Infinity });
        try {
          const storage = await storageVia({ indexerUrl: proxy.url });
          const started = Date.now();
          await expectFlaiError(() => storage.has("0x" + "11".repeat(32)), proxy.url);
          await expectFlaiError(() => storage.upload(randomBytes(1000)), proxy.url);
          expect(Date.now() - started).to.be.below(2 * BOUND_MS);
        } finally {
          await proxy.close();
        }
      });
    }

    // (A node failing for good in the middle of a download: test/storage/download-stops.test.ts.)
    it("an indexer that fails for good when a download asks where the file is: a plugin error naming its URL, nothing written", async () => {
      const proxy = await startFlakyProxy(devnet.url, {
        fault: "reset",
        failFirst: Infinity,
        matches: (body) => body.includes("indexer_getFileLocations"),
      });
      try {
        const dest = path.join(await tempDir(), "out.bin");
        await expectFlaiError(async () => (await storageVia({ indexerUrl: proxy.url })).download(storedRoot, dest), proxy.url, storedRoot);
        expect(await readdir(path.dirname(dest))).to.deep.equal([]);
      } finally {
        await proxy.close();
      }
    });
  });
});
