import { readdir, readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";

import { FixedPriceFlow__factory, Indexer, MemData, MerkleTree, ZgFile } from "@0gfoundation/0g-ts-sdk";
import { expect } from "chai";
import { Contract, Interface, encodeBase64, type Signer } from "ethers";
import type { NetworkConnection } from "hardhat/types/network";

import { serveChain } from "../../src/chain/chain-server.js";
import { startStorageDevnet, type StorageDevnet } from "../../src/devnet/storage-devnet.js";
import { startStorageIndexer, startStorageNode, type StorageNodeServer } from "../../src/devnet/storage-node.js";
import { loadFlaiArtifact } from "../../src/chain/artifact.js";
import { computeFileRoot, computeRoot } from "../../src/storage/merkle.js";
import { explainFlowRevert, GATEWAY, INDEXER_FILE_NOT_FOUND } from "../../src/storage/zerog-protocol.js";
import {
  buildProof,
  fromWire,
  hashPair,
  proofPosition,
  rearPaddingValid,
  rootOf,
  segmentLayout,
  toWire,
  verifyProof,
  zeroHash,
} from "../../src/storage/proof.js";
import { quietly } from "../../src/util/sdk-console.js";
import { mulberry32 } from "../../src/util/prng.js";

import { expectFlaiError } from "../helpers/assert.js";
import { freePort } from "../helpers/net.js";
import { tempDir, tempProject } from "../helpers/project.js";
import { signers } from "../helpers/signers.js";

const KiB = 1024;
const MiB = 1024 * KiB;
const PRICE = 1_000_000_000n; // the module's default price per sector
const SUBMIT_FULL = "submit(((uint256,bytes,(bytes32,uint256)[]),address))";

interface RpcReply {
  id?: unknown;
  result?: unknown;
  error?: { code: number; message: string; data?: unknown };
}

async function rpc(url: string, method: string, params: unknown[] = []): Promise<RpcReply> {
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ jsonrpc: "2.0", id: 7, method, params }),
  });
  expect(res.status).to.equal(200);
  return (await res.json()) as RpcReply;
}

function seededBytes(size: number, seed: number): Uint8Array {
  const rand = mulberry32(seed);
  const words = new Uint32Array(Math.ceil(size / 4));
  for (let i = 0; i < words.length; i++) words[i] = Math.floor(rand() * 4294967296) >>> 0;
  return new Uint8Array(words.buffer, 0, size);
}

interface FileInfoReply {
  finalized: boolean;
  uploadedSegNum: number;
  tx: { seq: number; size: number; startEntryIndex: number; merkleNodes: [number, string][] };
}

async function fileInfo(url: string, root: string): Promise<FileInfoReply | null> {
  return (await rpc(url, "zgs_getFileInfo", [root, true])).result as FileInfoReply | null;
}

/** The shard (of `numShard`) that keeps local segment `index` of a file placed at `startEntryIndex`. */
function shardOf(startEntryIndex: number, index: number, numShard = 2): number {
  return (Math.floor(startEntryIndex / 1024) + index) % numShard;
}

async function until<T>(what: string, probe: () => Promise<T | undefined | null>, timeoutMs = 10_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== null) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe("storage devnet: the real 0G SDK against the local Flow and storage node", function () {
  this.timeout(120_000);
  let connection: NetworkConnection<string>;
  let devnet: StorageDevnet;
  /** Shard node URLs by shard id. */
  let nodeUrls: string[];
  let chain: { url: string; close(): Promise<void> };
  let signer: Signer;
  let flow: Contract;
  let dir: string;
  let work: string;
  const extraNodes: StorageNodeServer[] = [];
  const folders: string[] = [];
  const scratch = async (prefix: string) => {
    const folder = await tempDir(prefix);
    folders.push(folder);
    return folder;
  };
  const uploaded = new Map<number, { file: string; root: string; bytes: Uint8Array }>();

  before(async () => {
    const { hre } = await tempProject();
    connection = await hre.network.create();
    dir = await scratch("flai-devnet-node-");
    work = await scratch("flai-devnet-files-");
    devnet = await startStorageDevnet(connection, { dir });
    nodeUrls = devnet.nodes.map((n) => n.url);
    chain = await serveChain(connection.provider);
    [signer] = await signers(connection, 1);
    flow = new Contract(devnet.flowAddress, loadFlaiArtifact("ZgFlow").abi, signer);
  });

  after(async () => {
    for (const node of extraNodes) await node.close();
    await devnet?.close();
    await chain?.close();
    // The 64 MiB file lives here three times over (input, stored segments, download).
    for (const folder of folders) await rm(folder, { recursive: true, force: true });
  });

  async function writeSeeded(size: number, seed: number): Promise<{ file: string; bytes: Uint8Array }> {
    const bytes = seededBytes(size, seed);
    const file = path.join(work, `in-${size}-${seed}`);
    await writeFile(file, bytes);
    return { file, bytes };
  }

  async function sdkUpload(file: string, url = devnet.url, opts?: { fee?: bigint; finalityRequired?: boolean }) {
    return quietly(async () => {
      const zg = await ZgFile.fromFilePath(file);
      try {
        // The SDK's types name ethers' CommonJS build; the signer is the same class at runtime.
        return await new Indexer(url).upload(zg, chain.url, signer as never, opts);
      } finally {
        await zg.close();
      }
    });
  }

  async function sdkDownload(root: string, url = devnet.url): Promise<Uint8Array> {
    const dest = path.join(work, `out-${root.slice(2, 10)}-${Date.now()}-${Math.random().toString(16).slice(2)}`);
    const err = await quietly(() => new Indexer(url).download(root, dest));
    expect(err, String(err?.message)).to.equal(null);
    return new Uint8Array(await readFile(dest));
  }

  /** Upload, download, compare; returns the seconds each direction took. */
  async function roundTrip(size: number, seed: number): Promise<{ up: number; down: number }> {
    const { file, bytes } = await writeSeeded(size, seed);
    const t0 = Date.now();
    const [result, err] = await sdkUpload(file);
    const t1 = Date.now();
    expect(err, String(err?.message)).to.equal(null);
    const root = (result as { rootHash: string }).rootHash;
    expect(root).to.equal(await computeFileRoot(file));
    const t2 = Date.now();
    const back = await sdkDownload(root);
    const t3 = Date.now();
    expect(back.length).to.equal(size);
    expect(Buffer.compare(Buffer.from(back), Buffer.from(bytes))).to.equal(0);
    uploaded.set(size, { file, root, bytes });
    return { up: (t1 - t0) / 1000, down: (t3 - t2) / 1000 };
  }

  it("speaks the SDK's Flow ABI: submit selector, market(), Submit topic", () => {
    const sdk = new Interface(FixedPriceFlow__factory.abi);
    expect(flow.interface.getFunction(SUBMIT_FULL)!.selector).to.equal(sdk.getFunction("submit")!.selector).and.equal("0xbc8c11f8");
    expect(flow.interface.getFunction("market")!.selector).to.equal(sdk.getFunction("market")!.selector);
    expect(flow.interface.getEvent("Submit")!.topicHash).to.equal(sdk.getEvent("Submit")!.topicHash);
  });

  it("round-trips 1 B, 256 KiB + 1 and 4 MiB byte for byte", async () => {
    for (const [size, seed] of [
      [1, 1],
      [256 * KiB + 1, 2],
      [4 * MiB, 3],
    ] as const) {
      await roundTrip(size, seed);
    }
    for (const url of nodeUrls) {
      const info = (await fileInfo(url, uploaded.get(4 * MiB)!.root))!;
      expect(info.finalized).to.equal(true);
      expect(info.uploadedSegNum).to.equal(16); // a finalized file reports all its segments on every node
      expect(info.tx.size).to.equal(4 * MiB);
      expect(info.tx.merkleNodes.map(([depth]) => depth)).to.deep.equal([15]); // 2^14 chunks, depth = height + 1
      expect(info.tx.startEntryIndex % 1024).to.equal(0);
    }
  });

  it("shows SDK 1.2.8's shard bug: with 17 segments on 2 shards it never sends the longer shard's last one", async () => {
    // 16385 chunks pad to 18432 = 2^14 + 2^11: 17 data segments, 9 on one shard and 8 on the other.
    const { file } = await writeSeeded(4 * MiB + 1, 13);
    const root = await computeFileRoot(file);
    const [, err] = await sdkUpload(file, devnet.url, { finalityRequired: false });
    expect(err, String(err?.message)).to.equal(null);
    const infos = await Promise.all(nodeUrls.map((url) => fileInfo(url, root)));
    const { startEntryIndex } = infos[0]!.tx;
    const longer = shardOf(startEntryIndex, 16); // local segment 16 is the 9th of its shard
    expect(infos[longer]!.finalized).to.equal(false);
    expect(infos[1 - longer]!.finalized).to.equal(true);
    expect(infos[longer]!.uploadedSegNum).to.equal(16); // every other segment of that shard is in
    // The 0g backend puts the dropped task back (src/storage/sdk-shard-tasks.ts); see test/storage/zerog.test.ts.
  });

  it("keeps each segment only on the node of its shard; the other node answers null for it", async () => {
    const { root, bytes } = uploaded.get(4 * MiB)!;
    const info = (await fileInfo(nodeUrls[0]!, root))!;
    const { seq, startEntryIndex } = info.tx;
    for (const [shardId, node] of devnet.nodes.entries()) {
      expect(node.shard).to.deep.equal({ numShard: 2, shardId });
      const kept = (await readdir(path.join(node.dir, "segments", String(seq)))).filter((f) => f.endsWith(".bin"));
      const expected = Array.from({ length: 16 }, (_, i) => i).filter((i) => shardOf(startEntryIndex, i) === shardId);
      expect(kept.map((f) => Number(f.split(".")[0])).sort((a, b) => a - b)).to.deep.equal(expected);
    }
    for (const index of [0, 1, 15]) {
      const mine = nodeUrls[shardOf(startEntryIndex, index)]!;
      const other = nodeUrls[1 - shardOf(startEntryIndex, index)]!;
      const start = index * 1024;
      const end = Math.min(start + 1024, Math.ceil(bytes.length / 256));
      const served = (await rpc(mine, "zgs_downloadSegmentByTxSeq", [seq, start, end])).result as string;
      expect(
        Buffer.from(served, "base64")
          .subarray(0, Math.min(256 * KiB, bytes.length - start * 256))
          .equals(Buffer.from(bytes.subarray(start * 256, start * 256 + 256 * KiB))),
      ).to.equal(true);
      expect((await rpc(other, "zgs_downloadSegmentByTxSeq", [seq, start, end])).result).to.equal(null);
      expect((await rpc(other, "zgs_downloadSegmentWithProofByTxSeq", [seq, index])).result).to.equal(null);
      expect((await rpc(mine, "zgs_downloadSegmentWithProofByTxSeq", [seq, index])).result).to.include({ index, root });
    }
  });

  it("round-trips a 64 MiB file", async function () {
    const { up, down } = await roundTrip(64 * MiB, 4);
    this.test!.title += ` (SDK upload ${up.toFixed(1)} s, download ${down.toFixed(1)} s)`;
  });

  it("does not pay again for a file it already stores", async () => {
    const { file, root } = uploaded.get(256 * KiB + 1)!;
    const provider = connection.ethers.provider;
    const balance = await provider.getBalance(devnet.marketAddress);
    const submissions = (await flow.getFunction("submissionIndex")()) as bigint;
    const nonce = await provider.getTransactionCount(await signer.getAddress());
    const [result, err] = await sdkUpload(file);
    expect(err).to.equal(null);
    expect(result).to.include({ rootHash: root, txHash: "" });
    expect(await provider.getBalance(devnet.marketAddress)).to.equal(balance);
    expect(await flow.getFunction("submissionIndex")()).to.equal(submissions);
    expect(await provider.getTransactionCount(await signer.getAddress())).to.equal(nonce);
    expect(balance > 0n).to.equal(true);
  });

  it("rejects a tampered segment, a wrong proof and a wrong fileSize with the node's errors", async () => {
    const bytes = seededBytes(256 * KiB + 300, 5);
    const mem = new MemData(bytes);
    const [tree, treeErr] = await mem.merkleTree();
    expect(treeErr).to.equal(null);
    const root = tree!.rootHash()!;
    const [submission] = await mem.createSubmission("0x", await signer.getAddress());
    const sectors = submission!.data.nodes.reduce((sum, n) => sum + (1n << BigInt(n.height)), 0n);
    await (await flow.getFunction(SUBMIT_FULL)(submission, { value: sectors * PRICE })).wait();
    const info = await until("both nodes to learn the tx", async () => {
      const infos = await Promise.all(nodeUrls.map((url) => fileInfo(url, root)));
      return infos.every((i) => i !== null) ? infos[0] : undefined;
    });
    const { seq, startEntryIndex } = info.tx;
    const holder = (index: number) => nodeUrls[shardOf(startEntryIndex, index)]!;

    const layout = segmentLayout(bytes.length);
    const segment = (index: number, overrides: Record<string, unknown> = {}) => {
      const data = bytes.subarray(index * 256 * KiB, Math.min(bytes.length, (index + 1) * 256 * KiB));
      const padded = new Uint8Array(Math.ceil(data.length / 256) * 256);
      padded.set(data);
      return { root, data: encodeBase64(padded), index, proof: tree!.proofAt(index), fileSize: bytes.length, ...overrides };
    };
    const upload = async (seg: { index: number }, url = holder(seg.index)) =>
      (await rpc(url, "zgs_uploadSegmentsByTxSeq", [[seg], seq])).error;

    const tampered = new Uint8Array(256 * KiB);
    tampered.set(bytes.subarray(0, 256 * KiB));
    tampered[1000]! ^= 0xff;
    const tamperedErr = await upload(segment(0, { data: encodeBase64(tampered) }));
    expect(tamperedErr?.code).to.equal(-32000);
    expect(tamperedErr?.message).to.match(/^data hash mismatch: leaf_hash=\[\d+(, \d+){31}\] proof_item=\[/);

    expect(await upload(segment(0, { proof: tree!.proofAt(1) }))).to.deep.equal({
      code: -32000,
      message: "wrong position: proof_pos=1 provided=0",
    });
    const badSibling = tree!.proofAt(0);
    badSibling.lemma[1] = `0x${"11".repeat(32)}`;
    expect(await upload(segment(0, { proof: badSibling }))).to.deep.equal({
      code: -32602,
      message: "Invalid params: proof",
      data: "validation failed",
    });
    expect(await upload(segment(0, { fileSize: bytes.length + 1 }))).to.deep.equal({
      code: -32602,
      message: "Invalid params: file_size",
      data: "segment file size not matched with tx file size",
    });
    // The last segment holds 300 bytes, i.e. 2 chunks (512 bytes): 3 chunks is the wrong length.
    expect(await upload(segment(1, { data: encodeBase64(new Uint8Array(768)) }))).to.deep.equal({
      code: -32602,
      message: "Invalid params: data",
      data: "invalid data length",
    });
    expect(await upload(segment(0, { root: `0x${"22".repeat(32)}` }))).to.deep.equal({
      code: -32603,
      message: "Internal error",
      data: "data root and tx seq not match",
    });
    expect((await fileInfo(holder(0), root))!.uploadedSegNum).to.equal(0);
    // Known to the nodes, finalized on none: the indexer answers null (not an error).
    expect(await rpc(devnet.url, "indexer_getFileLocations", [root])).to.deep.include({ result: null });

    // Sent to the node of the other shard, an honest segment is accepted (as the real node does) but not kept.
    expect(await upload(segment(0), holder(1))).to.equal(undefined);
    expect((await fileInfo(holder(1), root))!.finalized).to.equal(false);
    expect((await rpc(holder(1), "zgs_downloadSegmentByTxSeq", [seq, 0, 1024])).result).to.equal(null);

    // Segment 0 on its node finalizes that node only: the nodes do not yet cover both shards.
    expect(await upload(segment(0))).to.equal(undefined);
    expect((await fileInfo(holder(0), root))!.finalized).to.equal(true);
    expect((await fileInfo(holder(1), root))!.finalized).to.equal(false);
    expect(await rpc(devnet.url, "indexer_getFileLocations", [root])).to.deep.include({ result: null });

    expect(await upload(segment(1))).to.equal(undefined);
    for (const url of nodeUrls) expect((await fileInfo(url, root))!.finalized).to.equal(true);
    const locations = (await rpc(devnet.url, "indexer_getFileLocations", [root])).result as Array<{ url: string; config: object }>;
    expect(locations.map((l) => [l.url, l.config])).to.deep.equal(nodeUrls.map((url, shardId) => [url, { shardId, numShard: 2 }]));
    expect(await upload(segment(0))).to.deep.equal({
      code: -32602,
      message: "Invalid params: root",
      data: "already uploaded and finalized",
    });

    // Served proofs are the SDK's own and verify against the root.
    const served = (await rpc(holder(1), "zgs_downloadSegmentWithProofByTxSeq", [seq, 1])).result as {
      data: string;
      proof: { lemma: string[]; path: boolean[] };
    };
    expect(served.proof).to.deep.equal(tree!.proofAt(1));
    expect(Buffer.from(served.data, "base64").equals(Buffer.from(segment(1).data, "base64"))).to.equal(true);
    const leaf = fromWire(tree!.proofAt(1)).lemma[0]!;
    expect(verifyProof(fromWire(served.proof), leaf, fromWire({ lemma: [root], path: [] }).lemma[0]!, 1, layout.proofSegments)).to.equal(
      true,
    );
    expect((await rpc(holder(0), "zgs_downloadSegmentByTxSeq", [seq, 0, 1025])).error).to.deep.equal({
      code: -32602,
      message: "Invalid params: end_index",
      data: "exceeds maximum chunks 1024",
    });
  });

  it("keeps segments uploaded before their tx is seen, and stores them once it is", async () => {
    const bytes = seededBytes(1000, 8);
    const mem = new MemData(bytes);
    const [tree] = await mem.merkleTree();
    const root = tree!.rootHash()!;
    const padded = new Uint8Array(1024);
    padded.set(bytes);
    const seg = { root, data: encodeBase64(padded), index: 0, proof: tree!.proofAt(0), fileSize: bytes.length };
    // Before the tx, nobody knows which shard the segment will fall in: it goes to every node.
    for (const url of nodeUrls) {
      expect(await rpc(url, "zgs_uploadSegment", [seg])).to.deep.include({ result: null });
      expect(await fileInfo(url, root)).to.equal(null);
    }
    expect((await rpc(devnet.url, "indexer_getFileLocations", [root])).error).to.deep.equal(INDEXER_FILE_NOT_FOUND);

    const [submission] = await mem.createSubmission("0x", await signer.getAddress());
    await (await flow.getFunction(SUBMIT_FULL)(submission, { value: 4n * PRICE })).wait();
    await until("the cached segment to finalize the file on both nodes", async () => {
      const infos = await Promise.all(nodeUrls.map((url) => fileInfo(url, root)));
      return infos.every((i) => i?.finalized === true) ? infos : undefined;
    });
    expect(computeRoot(await sdkDownload(root))).to.equal(root);
  });

  it("rejects an underpaid submit in the contract (the SDK reports it, the node learns nothing)", async () => {
    const { file } = await writeSeeded(3000, 6); // 12 chunks: 12 sectors
    const before = ((await rpc(nodeUrls[0]!, "zgs_getStatus")).result as { nextTxSeq: number }).nextTxSeq;
    expect(await connection.ethers.provider.getBalance(devnet.flowAddress)).to.equal(0n); // no surplus to count
    const [, err] = await sdkUpload(file, devnet.url, { fee: 12n * PRICE - 1n });
    expect(err).to.be.instanceOf(Error);
    const data = (err as { data?: string }).data;
    // The real FixedPriceFlow's error: NotEnoughFee(price, sectors, paid).
    expect(flow.interface.parseError(data!)?.name).to.equal("NotEnoughFee");
    expect(flow.interface.parseError(data!)?.args.map(String)).to.deep.equal([String(PRICE), "12", String(12n * PRICE - 1n)]);
    expect(explainFlowRevert(err))
      .to.include("12 sectors")
      .and.include(`${12n * PRICE - 1n} wei`)
      .and.include("NotEnoughFee");
    expect(((await rpc(nodeUrls[0]!, "zgs_getStatus")).result as { nextTxSeq: number }).nextTxSeq).to.equal(before);

    // The real Flow's require(valid, "Invalid submission"), here for a zero submitter.
    const [valid] = await new MemData(seededBytes(100, 14)).createSubmission("0x", await signer.getAddress());
    const invalid = { data: valid!.data, submitter: `0x${"00".repeat(20)}` };
    const refused = await flow
      .getFunction(SUBMIT_FULL)(invalid, { value: PRICE })
      .then(
        () => undefined,
        (error: unknown) => error,
      );
    expect(explainFlowRevert(refused)).to.include('"Invalid submission"');
  });

  it("answers JSON-RPC batches in order with their ids, and protocol errors with HTTP 200", async () => {
    const res = await fetch(nodeUrls[1]!, {
      method: "POST",
      body: JSON.stringify([
        { jsonrpc: "2.0", id: 1.5, method: "zgs_getShardConfig" },
        { jsonrpc: "2.0", id: "b", method: "nope" },
        { jsonrpc: "2.0", id: 3, method: "zgs_getFileInfo", params: [`0x${"00".repeat(32)}`, true] },
      ]),
    });
    expect(res.status).to.equal(200);
    expect(await res.json()).to.deep.equal([
      { jsonrpc: "2.0", id: 1.5, result: { shardId: 1, numShard: 2 } },
      { jsonrpc: "2.0", id: "b", error: { code: -32601, message: "Method not found" } },
      { jsonrpc: "2.0", id: 3, result: null },
    ]);
    // The indexer: an unknown root is an error, not null (0g-storage-client indexer/api.go).
    expect(await rpc(devnet.url, "indexer_getFileLocations", [`0x${"00".repeat(32)}`])).to.deep.equal({
      jsonrpc: "2.0",
      id: 7,
      error: { code: -32000, message: "file not found" },
    });
    const bad = await fetch(devnet.url, { method: "POST", body: "{not json" });
    expect(bad.status).to.equal(200);
    expect(await bad.json()).to.deep.equal({ jsonrpc: "2.0", id: null, error: { code: -32700, message: "Parse error" } });
  });

  it("faults.ignoreSubmissions: a node that never learns the tx never reports the file", async () => {
    const chainId = BigInt((await connection.provider.request({ method: "eth_chainId" })) as string);
    const blind = await startStorageNode({
      provider: connection.provider,
      flowAddress: devnet.flowAddress,
      chainId,
      dir: await scratch("flai-devnet-blind-"),
      faults: { ignoreSubmissions: true },
    });
    extraNodes.push(blind);
    const blindIndexer = await startStorageIndexer({ nodes: [blind.url] });
    extraNodes.push({ ...blindIndexer, shard: { numShard: 1, shardId: 0 }, dir: "" });
    const bytes = seededBytes(777, 7);
    const mem = new MemData(bytes);
    const [submission] = await mem.createSubmission("0x", await signer.getAddress());
    const receipt = await (await flow.getFunction(SUBMIT_FULL)(submission, { value: 4n * PRICE })).wait();
    const root = computeRoot(bytes);
    await until("the honest nodes to learn the tx", async () => fileInfo(nodeUrls[0]!, root));
    await until("the blind node to sync past the tx's block", async () => {
      const status = (await rpc(blind.url, "zgs_getStatus")).result as { logSyncHeight: number };
      return status.logSyncHeight >= receipt!.blockNumber ? status : undefined;
    });
    await new Promise((r) => setTimeout(r, 600));
    expect(await fileInfo(blind.url, root)).to.equal(null);
    expect((await rpc(blindIndexer.url, "indexer_getFileLocations", [root])).error).to.deep.equal(INDEXER_FILE_NOT_FOUND);
  });

  it("indexer: lists the shard nodes, selects covering sets, and leaves out a node that is down", async () => {
    const sharded = (await rpc(devnet.url, "indexer_getShardedNodes")).result as {
      trusted: Array<{ url: string; config: object; since: number }>;
      discovered: null;
    };
    expect(sharded.discovered).to.equal(null);
    expect(sharded.trusted.map((n) => [n.url, n.config, n.since])).to.deep.equal(
      nodeUrls.map((url, shardId) => [url, { shardId, numShard: 2 }, 0]),
    );

    const selected = (await rpc(devnet.url, "indexer_getSelectedNodes", [1, "min", true, []])).result as {
      trusted: Array<{ url: string }>;
      discovered: unknown[];
    };
    expect(selected.trusted.map((n) => n.url)).to.deep.equal(nodeUrls);
    expect(selected.discovered).to.deep.equal([]);
    const cannot = { code: -32000, message: "cannot select a subset from the returned nodes that meets the replication requirement" };
    expect((await rpc(devnet.url, "indexer_getSelectedNodes", [1, "min", true, [nodeUrls[1]]])).error).to.deep.equal(cannot);
    expect((await rpc(devnet.url, "indexer_getSelectedNodes", [2, "random", false, null])).error).to.deep.equal(cannot);
    expect((await rpc(devnet.url, "indexer_getSelectedNodes", [1, "2", false, null])).result).to.have.nested.property("trusted.length", 2);
    expect((await rpc(devnet.url, "indexer_getSelectedNodes", [1, "min"])).error).to.deep.equal({
      code: -32602,
      message: "missing value for required argument 2",
    });

    // An indexer whose second node is down: only the live one is listed, and no upload can cover both shards.
    const port = Number(new URL(nodeUrls[1]!).port);
    const lonely = await startStorageIndexer({ nodes: [nodeUrls[0]!, `http://127.0.0.1:${await freePortOtherThan(port)}`] });
    try {
      const listed = (await rpc(lonely.url, "indexer_getShardedNodes")).result as { trusted: Array<{ url: string }> };
      expect(listed.trusted.map((n) => n.url)).to.deep.equal([nodeUrls[0]]);
      const { file } = await writeSeeded(5000, 11);
      const [, err] = await sdkUpload(file, lonely.url);
      expect(err?.message).to.equal("cannot select a subset from the returned nodes that meets the replication requirement");
    } finally {
      await lonely.close();
    }
  });

  it("REST gateway: GET /file (also &name=), /file/info/{root}, /node/status; errors as HTTP 200 {code, message}", async () => {
    const { root, bytes } = uploaded.get(256 * KiB + 1)!;
    const file = await fetch(`${devnet.url}/file?root=${root}&name=model.bin`);
    expect(file.status).to.equal(200);
    expect(file.headers.get("content-disposition")).to.equal('attachment; filename="model.bin"');
    expect(Buffer.from(await file.arrayBuffer()).equals(Buffer.from(bytes))).to.equal(true);
    const unnamed = await fetch(`${devnet.url}/file?root=${root}`);
    expect(unnamed.headers.get("content-disposition")).to.equal(`attachment; filename="${root}"`);

    const unknown = `0x${"ab".repeat(32)}`;
    for (const path_ of [`/file?root=${unknown}`, `/file/info/${unknown}`]) {
      const res = await fetch(`${devnet.url}${path_}`);
      expect(res.status).to.equal(200);
      expect(await res.json()).to.deep.equal({ code: 101, message: "File not found", data: null });
    }
    expect(await (await fetch(`${devnet.url}/file`)).json()).to.deep.equal({
      code: GATEWAY.invalidParameter.code,
      message: "Invalid parameter",
      data: "Either 'root' or 'txSeq' must be provided",
    });

    const info = (await (await fetch(`${devnet.url}/file/info/${root}`)).json()) as { code: number; message: string; data: FileInfoReply };
    expect(info).to.deep.include({ code: 0, message: "Success" });
    expect(info.data).to.deep.include({ finalized: true, uploadedSegNum: 2 });
    expect(info.data.tx.size).to.equal(bytes.length);
    const bySeq = (await (await fetch(`${devnet.url}/file/info/${info.data.tx.seq}`)).json()) as { data: FileInfoReply };
    expect(bySeq.data).to.deep.equal(info.data);
    const byTxSeq = await fetch(`${devnet.url}/file?txSeq=${info.data.tx.seq}`);
    expect(Buffer.from(await byTxSeq.arrayBuffer()).equals(Buffer.from(bytes))).to.equal(true);

    const status = (await (await fetch(`${devnet.url}/node/status`)).json()) as {
      code: number;
      data: { logSyncHeight: number; nextTxSeq: number };
    };
    expect(status.code).to.equal(0);
    const direct = await Promise.all(
      nodeUrls.map(async (url) => (await rpc(url, "zgs_getStatus")).result as { logSyncHeight: number; nextTxSeq: number }),
    );
    expect(status.data.nextTxSeq).to.equal(Math.min(...direct.map((d) => d.nextTxSeq)));
    expect(status.data.logSyncHeight).to.be.at.most(Math.max(...direct.map((d) => d.logSyncHeight)));
  });

  it("faults.tooManyWritings: the node's back-pressure error, then it takes the segment", async () => {
    const chainId = BigInt((await connection.provider.request({ method: "eth_chainId" })) as string);
    const busy = await startStorageNode({
      provider: connection.provider,
      flowAddress: devnet.flowAddress,
      chainId,
      dir: await scratch("flai-devnet-busy-"),
      faults: { tooManyWritings: 1 },
    });
    extraNodes.push(busy);
    const bytes = seededBytes(900, 12);
    const mem = new MemData(bytes);
    const [tree] = await mem.merkleTree();
    const [submission] = await mem.createSubmission("0x", await signer.getAddress());
    await (await flow.getFunction(SUBMIT_FULL)(submission, { value: 4n * PRICE })).wait();
    const root = tree!.rootHash()!;
    const { seq } = (await until("the busy node to learn the tx", () => fileInfo(busy.url, root))).tx;
    const padded = new Uint8Array(1024);
    padded.set(bytes);
    const seg = { root, data: encodeBase64(padded), index: 0, proof: tree!.proofAt(0), fileSize: bytes.length };
    expect((await rpc(busy.url, "zgs_uploadSegmentsByTxSeq", [[seg], seq])).error).to.deep.equal({
      code: -32000,
      message: "too many data writing: 128",
    });
    expect((await rpc(busy.url, "zgs_uploadSegmentsByTxSeq", [[seg], seq])).error).to.equal(undefined);
    expect((await fileInfo(busy.url, root))!.finalized).to.equal(true);
  });

  it("keeps its files across a restart; faults.corruptDownloads serves bytes whose root differs", async () => {
    const { root, bytes } = uploaded.get(256 * KiB + 1)!;
    const chainId = BigInt((await connection.provider.request({ method: "eth_chainId" })) as string);
    await devnet.close();
    /** The devnet's two shard nodes again, on their folders, behind a fresh indexer. */
    const restart = async (faults = {}) => {
      const nodes: StorageNodeServer[] = [];
      for (const old of devnet.nodes) {
        nodes.push(
          await startStorageNode({
            provider: connection.provider,
            flowAddress: devnet.flowAddress,
            chainId,
            dir: old.dir,
            shard: old.shard,
            faults,
          }),
        );
      }
      extraNodes.push(...nodes);
      const indexer = await startStorageIndexer({ nodes: nodes.map((n) => n.url) });
      extraNodes.push({ ...indexer, shard: { numShard: 1, shardId: 0 }, dir: "" });
      return indexer;
    };
    const corrupt = await restart({ corruptDownloads: true });
    const bad = await sdkDownload(root, corrupt.url);
    expect(bad.length).to.equal(bytes.length);
    expect(computeRoot(bad)).to.not.equal(root);
    const gateway = await fetch(`${corrupt.url}/file?root=${root}`);
    expect(gateway.status).to.equal(600);
    expect(await gateway.json()).to.deep.include({ code: 2, message: "Internal server error" });
    for (const node of extraNodes.splice(0)) await node.close();

    const restarted = await restart();
    for (const { root: r, bytes: b } of [uploaded.get(1)!, uploaded.get(4 * MiB)!]) {
      const back = await sdkDownload(r, restarted.url);
      expect(Buffer.compare(Buffer.from(back), Buffer.from(b))).to.equal(0);
    }
  });

  it("refuses a wrong chain id, a folder of another shard, and a folder synced with another history of the chain", async () => {
    const chainId = BigInt((await connection.provider.request({ method: "eth_chainId" })) as string);
    const base = await scratch("flai-devnet-x-");
    const opts = { provider: connection.provider, flowAddress: devnet.flowAddress, dir: path.join(base, "shard-0-of-1") };
    await expectFlaiError(() => startStorageNode({ ...opts, chainId: chainId + 1n }), `chain id ${chainId + 1n}`, `chain ${chainId}`);

    // A folder synced past a block the other chain does not have (a fresh chain replays the same
    // deployment, so only later blocks tell the histories apart).
    const synced = await startStorageNode({ ...opts, chainId });
    await connection.provider.request({ method: "evm_mine" });
    const head = Number(await connection.provider.request({ method: "eth_blockNumber" }));
    await until("the node to sync the mined block", async () => {
      const status = (await rpc(synced.url, "zgs_getStatus")).result as { logSyncHeight: number };
      return status.logSyncHeight >= head ? status : undefined;
    });
    await synced.close();
    await expectFlaiError(
      () => startStorageNode({ ...opts, chainId, shard: { numShard: 2, shardId: 1 } }),
      "holds shard 0 of 1",
      "own folder",
    );
    const { hre } = await tempProject();
    const other = await hre.network.create();
    try {
      await expectFlaiError(
        () => startStorageDevnet(other, { dir: base, shards: 1 }).then((unexpected) => unexpected.close()),
        "another history",
        "fresh folder",
      );
      await expectFlaiError(() => startStorageDevnet(other, { dir: base, shards: 3 }), "power of two", "got 3");
    } finally {
      await other.close();
    }
  });
});

/** A loopback port nothing listens on, other than `taken`. */
async function freePortOtherThan(taken: number): Promise<number> {
  for (;;) {
    const port = await freePort();
    if (port !== taken) return port;
  }
}

describe("storage proofs (src/storage/proof.ts)", () => {
  const leavesOf = (count: number, seed: number) => {
    const bytes = seededBytes(count * 32, seed);
    return Array.from({ length: count }, (_, i) => bytes.slice(i * 32, (i + 1) * 32));
  };

  it("builds exactly the SDK's proofs, which point at their leaf and verify", () => {
    for (let count = 1; count <= 40; count++) {
      const leaves = leavesOf(count, count);
      const sdk = new MerkleTree();
      for (const leaf of leaves) sdk.addLeafByHash(toWire({ lemma: [leaf], path: [] }).lemma[0]!);
      sdk.build();
      const root = rootOf(leaves);
      expect(toWire({ lemma: [root], path: [] }).lemma[0]).to.equal(sdk.rootHash());
      for (let i = 0; i < count; i++) {
        const proof = buildProof(leaves, i);
        expect(toWire(proof)).to.deep.equal({ lemma: sdk.proofAt(i).lemma, path: sdk.proofAt(i).path });
        expect(proofPosition(proof.path, count)).to.equal(i);
        expect(verifyProof(proof, leaves[i]!, root, i, count)).to.equal(true);
        if (count > 1) expect(verifyProof(proof, leaves[i]!, root, (i + 1) % count, count)).to.equal(false);
      }
    }
  });

  it("rejects a proof whose padding-only sibling is not the zero subtree", () => {
    // 4 MiB + 1 byte: 17 data segments, 18 in the padded stream; segment 17 is padding only.
    const layout = segmentLayout(4 * MiB + 1);
    expect(layout).to.include({ dataSegments: 17, proofSegments: 18 });
    const honest = [...leavesOf(17, 9), zeroHash(10)];
    expect(rearPaddingValid(buildProof(honest, 16), 18, 17, 10)).to.equal(true);
    const smuggled = [...leavesOf(17, 9), hashPair(zeroHash(9), zeroHash(0))];
    expect(rearPaddingValid(buildProof(smuggled, 16), 18, 17, 10)).to.equal(false);
    expect(verifyProof(buildProof(smuggled, 16), smuggled[16]!, rootOf(smuggled), 16, 18)).to.equal(true);
  });
});
