import { randomBytes } from "node:crypto";
import { mkdir, readdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import path from "node:path";

import { flaiError } from "../../errors.js";
import { writeFileAtomic } from "../../util/fs.js";

/**
 * The storage node's disk: what it learned from the chain and the segments it accepted, so a
 * restarted node still serves every finalized file.
 *
 *   <dir>/sync.json             chain identity and how far the Submit logs were read
 *   <dir>/txs/<seq>.json        one record per Flow submission
 *   <dir>/segments/<seq>/<i>.bin, <i>.root   accepted segment data and its Merkle root
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
  private rootsCache = new Map<number, Uint8Array[]>();

  private constructor(
    readonly dir: string,
    public sync: SyncState,
  ) {}

  static async open(dir: string, identity: { chainId: string; flowAddress: string }): Promise<NodeStore> {
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

  /** Accepted segments 0, 1, 2, ... without a gap (the node's upload window boundary). */
  contiguousSegments(dataSeq: number): number {
    const present = this.segments.get(dataSeq);
    let n = 0;
    while (present?.has(n)) n++;
    return n;
  }

  async putSegment(dataSeq: number, index: number, data: Uint8Array, root: Uint8Array): Promise<void> {
    const folder = path.join(this.dir, "segments", String(dataSeq));
    await mkdir(folder, { recursive: true });
    // The .bin appears last: its presence is what marks the segment as accepted after a restart.
    await writeReplacing(path.join(folder, `${index}.root`), root);
    await writeReplacing(path.join(folder, `${index}.bin`), data);
    let present = this.segments.get(dataSeq);
    if (present === undefined) this.segments.set(dataSeq, (present = new Set()));
    present.add(index);
    this.rootsCache.delete(dataSeq);
  }

  async readSegment(dataSeq: number, index: number): Promise<Uint8Array | undefined> {
    if (!this.hasSegment(dataSeq, index)) return undefined;
    return new Uint8Array(await readFile(path.join(this.dir, "segments", String(dataSeq), `${index}.bin`)));
  }

  /** Roots of data segments 0..count-1 (all must be present). */
  async segmentRoots(dataSeq: number, count: number): Promise<Uint8Array[]> {
    const cached = this.rootsCache.get(dataSeq);
    if (cached !== undefined && cached.length === count) return cached;
    const folder = path.join(this.dir, "segments", String(dataSeq));
    const roots = await Promise.all(
      Array.from({ length: count }, async (_, i) => new Uint8Array(await readFile(path.join(folder, `${i}.root`)))),
    );
    this.rootsCache.set(dataSeq, roots);
    return roots;
  }
}
