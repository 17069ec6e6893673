import { randomBytes } from "node:crypto";
import { mkdir, readdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import path from "node:path";

import { flaiError } from "../../errors.js";
import type { WireProof } from "../../storage/proof.js";
import { writeFileAtomic } from "../../util/fs.js";

import type { ShardConfig } from "../../storage/shard.js";

/**
 * The storage node's disk: what it learned from the chain and the segments it accepted, so a
 * restarted node still serves every finalized file.
 *
 *   <dir>/sync.json             chain identity, the node's shard, how far the Submit logs were read
 *   <dir>/txs/<seq>.json        one record per Flow submission
 *   <dir>/segments/<seq>/<i>.bin, <i>.proof   accepted segment data and its proof in the file tree
 *
 * A sharded node keeps only its shard's segments, so it cannot rebuild other segments' proofs: it
 * keeps the (checked, hence canonical) proof each segment arrived with.
 */

export interface TxRecord {
  seq: number;
  /** The file's root (the tx's dataMerkleRoot), lowercase 0x-hex. */
  root: string;
  /** File size in bytes. */
  size: number;
  /** First flow sector of the file. */
  startEntryIndex: number;
  /** `[depth, root]` per submission node, depth = height + 1 (the node's `merkle_nodes`). */
  merkleNodes: [number, string][];
  finalized: boolean;
  /** Whose segments hold the bytes: itself, or an earlier finalized submission of the same file. */
  dataSeq: number;
}

export interface SyncState {
  chainId: string;
  flowAddress: string;
  /** Which segments this folder holds (absent in folders of the older, unsharded layout). */
  shard?: ShardConfig;
  /** Next block whose logs have not been read. */
  nextBlock: number;
  /** Last block read, and its hash (the node's logSyncHeight / logSyncBlock). */
  height: number;
  blockHash: string;
}

const SEGMENT_FILE = /^(\d+)\.bin$/;

/** Replace-by-rename without fsync: segments are many and large, and a devnet only needs process-restart safety. */
async function writeReplacing(dest: string, data: Uint8Array): Promise<void> {
  const tmp = `${dest}.${randomBytes(4).toString("hex")}.tmp`;
  try {
    await writeFile(tmp, data);
    await rename(tmp, dest);
  } catch (error) {
    await rm(tmp, { force: true });
    throw error;
  }
}

export class NodeStore {
  private readonly txs = new Map<number, TxRecord>();
  private readonly byRoot = new Map<string, number[]>();
  /** Indices of accepted segments, per data seq. */
  private readonly segments = new Map<number, Set<number>>();

  private constructor(
    readonly dir: string,
    public sync: SyncState,
  ) {}

  static async open(dir: string, identity: { chainId: string; flowAddress: string; shard: ShardConfig }): Promise<NodeStore> {
    await mkdir(path.join(dir, "txs"), { recursive: true });
    await mkdir(path.join(dir, "segments"), { recursive: true });
    let sync: SyncState;
    try {
      sync = JSON.parse(await readFile(path.join(dir, "sync.json"), "utf8")) as SyncState;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") {
        throw flaiError(`The 0G storage devnet state in ${dir} is unreadable (sync.json). Delete the folder to start afresh.`, error);
      }
      sync = { ...identity, nextBlock: 0, height: 0, blockHash: `0x${"00".repeat(32)}` };
    }
    const kept = sync.shard;
    if (kept === undefined) {
      throw flaiError(
        `The 0G storage devnet folder ${dir} was written by an older devnet (no shard, no segment proofs). Delete it to start afresh.`,
      );
    }
    if (kept.numShard !== identity.shard.numShard || kept.shardId !== identity.shard.shardId) {
      throw flaiError(
        `The 0G storage devnet folder ${dir} holds shard ${kept.shardId} of ${kept.numShard}, not shard ` +
          `${identity.shard.shardId} of ${identity.shard.numShard}. Give each shard node its own folder, or delete this one.`,
      );
    }
    if (sync.chainId !== identity.chainId || sync.flowAddress.toLowerCase() !== identity.flowAddress.toLowerCase()) {
      throw flaiError(
        `The 0G storage devnet folder ${dir} belongs to Flow ${sync.flowAddress} on chain ${sync.chainId}, not Flow ` +
          `${identity.flowAddress} on chain ${identity.chainId}. Use another folder for this chain, or delete it.`,
      );
    }
    const store = new NodeStore(dir, sync);
    for (const name of await readdir(path.join(dir, "txs"))) {
      if (!name.endsWith(".json")) continue;
      store.index(JSON.parse(await readFile(path.join(dir, "txs", name), "utf8")) as TxRecord);
    }
    for (const name of await readdir(path.join(dir, "segments"))) {
      const seq = Number(name);
      if (!Number.isInteger(seq)) continue;
      const present = new Set<number>();
      for (const file of await readdir(path.join(dir, "segments", name))) {
        const match = SEGMENT_FILE.exec(file);
        if (match) present.add(Number(match[1]));
      }
      store.segments.set(seq, present);
    }
    return store;
  }

  private index(tx: TxRecord): void {
    this.txs.set(tx.seq, tx);
    const seqs = this.byRoot.get(tx.root) ?? [];
    if (!seqs.includes(tx.seq)) {
      seqs.push(tx.seq);
      seqs.sort((a, b) => a - b);
    }
    this.byRoot.set(tx.root, seqs);
  }

  nextTxSeq(): number {
    let next = 0;
    for (const seq of this.txs.keys()) next = Math.max(next, seq + 1);
    return next;
  }

  txBySeq(seq: number): TxRecord | undefined {
    return this.txs.get(seq);
  }

  /** As the node's get_tx_by_data_root: the first finalized submission of the root, else the first one. */
  txByRoot(root: string): TxRecord | undefined {
    const seqs = this.byRoot.get(root.toLowerCase()) ?? [];
    const txs = seqs.map((s) => this.txs.get(s)!);
    return txs.find((t) => t.finalized) ?? txs[0];
  }

  async saveSync(sync: SyncState): Promise<void> {
    await writeFileAtomic(path.join(this.dir, "sync.json"), JSON.stringify(sync, null, 2));
    this.sync = sync;
  }

  async putTx(tx: TxRecord): Promise<void> {
    await writeFileAtomic(path.join(this.dir, "txs", `${tx.seq}.json`), JSON.stringify(tx));
    this.index(tx);
  }

  hasSegment(dataSeq: number, index: number): boolean {
    return this.segments.get(dataSeq)?.has(index) ?? false;
  }

  segmentCount(dataSeq: number): number {
    return this.segments.get(dataSeq)?.size ?? 0;
  }

  async putSegment(dataSeq: number, index: number, data: Uint8Array, proof: WireProof): Promise<void> {
    const folder = path.join(this.dir, "segments", String(dataSeq));
    await mkdir(folder, { recursive: true });
    // The .bin appears last: its presence is what marks the segment as accepted after a restart.
    await writeReplacing(path.join(folder, `${index}.proof`), Buffer.from(JSON.stringify(proof)));
    await writeReplacing(path.join(folder, `${index}.bin`), data);
    let present = this.segments.get(dataSeq);
    if (present === undefined) this.segments.set(dataSeq, (present = new Set()));
    present.add(index);
  }

  async readSegment(dataSeq: number, index: number): Promise<Uint8Array | undefined> {
    if (!this.hasSegment(dataSeq, index)) return undefined;
    return new Uint8Array(await readFile(path.join(this.dir, "segments", String(dataSeq), `${index}.bin`)));
  }

  async readProof(dataSeq: number, index: number): Promise<WireProof | undefined> {
    if (!this.hasSegment(dataSeq, index)) return undefined;
    return JSON.parse(await readFile(path.join(this.dir, "segments", String(dataSeq), `${index}.proof`), "utf8")) as WireProof;
  }
}
