import { CHUNK_SIZE, SEGMENT_CHUNKS } from "../../storage/merkle.js";
import { segmentLayout, toWire } from "../../storage/proof.js";

import { badParams, callFailed, internalError, invalidParams, type Handler } from "./rpc.js";
import { checkSegmentSize, parseSegment, validateSegment, type SegmentUpload } from "../../storage/segments.js";
import { holdsSegment, segmentsOfShard, type ShardConfig } from "../../storage/shard.js";
import type { NodeStore, TxRecord } from "./store.js";
import type { SubmittedTx } from "./sync.js";

/**
 * One 0G storage node, answering the zgs_* JSON-RPC methods the storage SDK calls with the real
 * node's shapes and error strings (node/rpc/src/zgs/impl.rs, rpc_helper.rs, chunk_pool). It keeps
 * only its shard's segments; the indexer (indexer.ts) is a separate server in front of the nodes.
 */

export interface NodeFaults {
  /** Never learn submissions: uploads wait forever for the node to see their tx. */
  ignoreSubmissions?: boolean;
  /** Flip a byte in every served segment, so a download's root no longer matches. */
  corruptDownloads?: boolean;
  /**
   * Die like a killed process when asked to store a segment after this many: every open connection
   * is dropped (in-flight requests get no reply), nothing more is stored, and the server stops
   * listening. What reached the disk stays there (the writes already under way finish), so a node
   * restarted on the same folder (and port) carries on.
   */
  dieAfterSegments?: number;
  /**
   * Refuse this many segment writes with the node's back-pressure error ("too many data writing: N",
   * as when its chunk pool already has max_writings segments in flight); later writes succeed.
   */
  tooManyWritings?: number;
  /**
   * Take segment uploads one request at a time, each after this many milliseconds: a node on a slow
   * link, whose segments arrive steadily but slowly (the SDK sends them all at once).
   */
  slowUploadsMs?: number;
}

export interface NodeIdentity {
  chainId: bigint;
  flowAddress: string;
}

/** The node caches segments of not-yet-seen txs only for files up to this size (its max_cache_file_size). */
const MAX_CACHE_FILE_SIZE = 10 * 1024 * 1024;
const DUPLICATE = "segment has already been uploaded or is being uploaded";
/** chunk_pool_max_writings on Galileo's turbo nodes (run/config-testnet-turbo.toml). */
const MAX_WRITINGS = 128;
const TOO_MANY_WRITINGS = `too many data writing: ${MAX_WRITINGS}`;
const HASH_HEX = /^0x[0-9a-fA-F]{64}$/;

function rootParam(value: unknown): string {
  if (typeof value !== "string" || !HASH_HEX.test(value)) throw badParams("invalid type: expected a 0x-prefixed 32-byte hex root");
  return value.toLowerCase();
}

function uintParam(value: unknown, name: string): number {
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 0) throw badParams(`${name}: expected a non-negative integer`);
  return value;
}

function segmentsParam(value: unknown): SegmentUpload[] {
  if (!Array.isArray(value)) throw badParams("invalid type: expected a sequence of SegmentWithProof");
  return value.map(parseSegment);
}

export class StorageNodeCore {
  /** Called once when the dieAfterSegments fault fires: stops the server around this core. */
  onDeath: () => void = () => {};
  private dead = false;
  private writesStarted = 0;
  private refusals: number;
  private readonly writing = new Set<string>();
  private uploadQueue: Promise<void> = Promise.resolve();
  /** Segments uploaded before their tx was seen, per root (the node's in-memory chunk pool). */
  private readonly pool = new Map<string, { fileSize: number; segments: Map<number, SegmentUpload> }>();

  constructor(
    private readonly store: NodeStore,
    private readonly identity: NodeIdentity,
    readonly shard: ShardConfig,
    private readonly faults: NodeFaults = {},
  ) {
    this.refusals = faults.tooManyWritings ?? 0;
  }

  // --- chain side --------------------------------------------------------------------------------

  /**
   * Records a submission seen on chain. It is finalized at once when this node already has its data
   * (an earlier finalized submission of the same file whose segments fall in the same shards, which
   * the node copies) or when none of its segments is in this node's shard (nothing to wait for; the
   * real node's sync finalizes such a file by itself).
   */
  async learn(sub: SubmittedTx): Promise<void> {
    if (this.faults.ignoreSubmissions || this.store.txBySeq(sub.seq) !== undefined) return;
    const stored = this.store.txByRoot(sub.root);
    const reusable = stored?.finalized === true && stored.size === sub.size && this.sameShards(stored, sub);
    const nothingHere = this.shardSegments(sub).length === 0;
    const tx: TxRecord = { ...sub, finalized: reusable || nothingHere, dataSeq: reusable ? stored.dataSeq : sub.seq };
    await this.store.putTx(tx);
    const cached = this.pool.get(sub.root);
    if (cached === undefined || tx.finalized) return;
    this.pool.delete(sub.root);
    // Segments cached for another size were proven against a different padding: the node drops them.
    if (cached.fileSize !== tx.size) return;
    for (const seg of cached.segments.values()) {
      // Already checked when cached; a write can only fail as a duplicate, which changes nothing.
      await this.write(tx.seq, seg).catch(() => undefined);
    }
  }

  /** The file's local segment indices this node keeps. */
  private shardSegments(tx: { startEntryIndex: number; size: number }): number[] {
    return segmentsOfShard(this.shard, tx.startEntryIndex, segmentLayout(tx.size).dataSegments);
  }

  /** Whether two placements of a file put its segments in the same shards (copy_tx_and_finalize's rule). */
  private sameShards(a: { startEntryIndex: number }, b: { startEntryIndex: number }): boolean {
    const first = (t: { startEntryIndex: number }) => Math.floor(t.startEntryIndex / SEGMENT_CHUNKS) % this.shard.numShard;
    return first(a) === first(b);
  }

  // --- uploads -----------------------------------------------------------------------------------

  /** rpc_helper::put_segment_with_maybe_tx, check for check. */
  private async putSegment(seg: SegmentUpload, tx: TxRecord | undefined): Promise<void> {
    if (this.dead) throw internalError("the node is down");
    checkSegmentSize(seg.data);
    if (tx !== undefined && tx.root !== seg.root) throw internalError("data root and tx seq not match");
    const cache = this.pool.has(seg.root) || this.needCache(tx, seg.fileSize);
    validateSegment(seg);
    if (cache) {
      let entry = this.pool.get(seg.root);
      if (entry === undefined) this.pool.set(seg.root, (entry = { fileSize: seg.fileSize, segments: new Map() }));
      entry.segments.set(seg.index, seg);
      return;
    }
    await this.write(tx!.seq, seg);
  }

  private needCache(tx: TxRecord | undefined, fileSize: number): boolean {
    if (tx === undefined) {
      if (fileSize > MAX_CACHE_FILE_SIZE) {
        throw invalidParams("file_size", "caching of large file when tx is unavailable is not supported");
      }
      return true;
    }
    if (tx.size !== fileSize) throw invalidParams("file_size", "segment file size not matched with tx file size");
    if (this.store.txBySeq(tx.seq)!.finalized) throw invalidParams("root", "already uploaded and finalized");
    return false;
  }

  /**
   * Stores a checked segment, as the chunk pool's write_chunks: duplicates and back-pressure are
   * refused first; a segment outside this node's shard is accepted but not kept (the flow store
   * skips it). The tx is finalized once every segment of its shard is in.
   */
  private async write(seq: number, seg: SegmentUpload): Promise<void> {
    const tx = this.store.txBySeq(seq)!;
    const key = `${tx.dataSeq}:${seg.index}`;
    if (this.dead) throw internalError("the node is down");
    if (this.store.hasSegment(tx.dataSeq, seg.index) || this.writing.has(key)) throw callFailed(DUPLICATE);
    if (this.refusals > 0) {
      this.refusals--;
      throw callFailed(TOO_MANY_WRITINGS);
    }
    const global = Math.floor(tx.startEntryIndex / SEGMENT_CHUNKS) + seg.index;
    if (!holdsSegment(this.shard, global)) return;
    if (this.faults.dieAfterSegments !== undefined && this.writesStarted >= this.faults.dieAfterSegments) {
      this.dead = true;
      this.onDeath();
      throw internalError("the node is down"); // never seen: the connection is already gone
    }
    this.writesStarted++;
    this.writing.add(key);
    try {
      await this.store.putSegment(tx.dataSeq, seg.index, seg.data, toWire(seg.proof));
    } finally {
      this.writing.delete(key);
    }
    const current = this.store.txBySeq(seq)!;
    if (!current.finalized && this.shardSegments(current).every((i) => this.store.hasSegment(tx.dataSeq, i))) {
      await this.store.putTx({ ...current, finalized: true });
    }
  }

  /** Runs `fn` after the uploads before it and the slowUploadsMs pause (at once without that fault). */
  private paced<T>(fn: () => Promise<T>): Promise<T> {
    const ms = this.faults.slowUploadsMs;
    if (ms === undefined) return fn();
    const run = this.uploadQueue.then(async () => {
      await new Promise((resolve) => setTimeout(resolve, ms));
      return fn();
    });
    this.uploadQueue = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  private uploadMany(segs: SegmentUpload[], txFor: (seg: SegmentUpload) => TxRecord | undefined, skipDuplicates: boolean) {
    return this.paced(() => this.storeEach(segs, txFor, skipDuplicates));
  }

  private async storeEach(segs: SegmentUpload[], txFor: (seg: SegmentUpload) => TxRecord | undefined, skipDuplicates: boolean) {
    for (const seg of segs) {
      try {
        await this.putSegment(seg, txFor(seg));
      } catch (error) {
        if (!(skipDuplicates && error instanceof Error && error.message.includes(DUPLICATE))) throw error;
      }
    }
    return null;
  }

  // --- downloads ---------------------------------------------------------------------------------

  /** get_segment_by_tx_seq: chunks [start, end) of the file, or null when the node lacks them. */
  private async chunks(seq: number, start: number, end: number): Promise<string | null> {
    if (start >= end) throw invalidParams("end_index", "invalid chunk index");
    if (end - start > SEGMENT_CHUNKS) throw invalidParams("end_index", `exceeds maximum chunks ${SEGMENT_CHUNKS}`);
    const tx = this.store.txBySeq(seq);
    if (tx === undefined) return null;
    if (end > Math.ceil(tx.size / CHUNK_SIZE)) {
      // (sic: the node prints the start index as "end")
      throw callFailed(`end entry index exceeds tx size: end=${start} tx size=${tx.size}`);
    }
    const out = new Uint8Array((end - start) * CHUNK_SIZE);
    for (let s = Math.floor(start / SEGMENT_CHUNKS); s <= Math.floor((end - 1) / SEGMENT_CHUNKS); s++) {
      const data = await this.store.readSegment(tx.dataSeq, s);
      if (data === undefined) return null;
      const from = Math.max(start, s * SEGMENT_CHUNKS);
      const to = Math.min(end, s * SEGMENT_CHUNKS + data.length / CHUNK_SIZE);
      out.set(data.subarray((from - s * SEGMENT_CHUNKS) * CHUNK_SIZE, (to - s * SEGMENT_CHUNKS) * CHUNK_SIZE), (from - start) * CHUNK_SIZE);
    }
    return this.served(out);
  }

  private served(data: Uint8Array): string {
    if (this.faults.corruptDownloads && data.length > 0) data[0]! ^= 0x01; // length checked: index 0 exists
    return Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString("base64");
  }

  /** get_segment_with_proof_by_tx: one data segment of this shard and its proof in the file tree. */
  private async segmentWithProof(tx: TxRecord | undefined, index: number) {
    if (tx === undefined) return null;
    if (index >= segmentLayout(tx.size).dataSegments) throw invalidParams("index", "index out of bound");
    const [data, proof] = await Promise.all([this.store.readSegment(tx.dataSeq, index), this.store.readProof(tx.dataSeq, index)]);
    if (data === undefined || proof === undefined) return null;
    return { root: tx.root, data: this.served(data), index, proof, fileSize: tx.size };
  }

  // --- views -------------------------------------------------------------------------------------

  private fileInfo(tx: TxRecord | undefined) {
    if (tx === undefined) return null;
    const segments = segmentLayout(tx.size).dataSegments;
    return {
      tx: {
        streamIds: [],
        data: [],
        dataMerkleRoot: tx.root,
        merkleNodes: tx.merkleNodes,
        startEntryIndex: tx.startEntryIndex,
        size: tx.size,
        seq: tx.seq,
      },
      finalized: tx.finalized,
      isCached: false,
      uploadedSegNum: tx.finalized ? segments : this.uploadedSegNum(tx),
      pruned: false,
    };
  }

  /**
   * The chunk pool's upload window boundary: the first segment of this shard not yet written (a
   * local segment index, not a count), 0 before any was.
   */
  private uploadedSegNum(tx: TxRecord): number {
    const mine = this.shardSegments(tx);
    if (!mine.some((i) => this.store.hasSegment(tx.dataSeq, i))) return 0;
    return mine.find((i) => !this.store.hasSegment(tx.dataSeq, i)) ?? segmentLayout(tx.size).dataSegments;
  }

  methods(): Map<string, Handler> {
    const s = this.store;
    return new Map<string, Handler>([
      [
        "zgs_getStatus",
        () => ({
          connectedPeers: 0,
          logSyncHeight: s.sync.height,
          logSyncBlock: s.sync.blockHash,
          nextTxSeq: s.nextTxSeq(),
          networkIdentity: {
            chainId: Number(this.identity.chainId),
            flowAddress: this.identity.flowAddress,
            p2pProtocolVersion: { major: 0, minor: 4, build: 0 },
          },
        }),
      ],
      ["zgs_getShardConfig", () => ({ shardId: this.shard.shardId, numShard: this.shard.numShard })],
      ["zgs_getFileInfo", ([root]) => this.fileInfo(s.txByRoot(rootParam(root)))],
      ["zgs_getFileInfoByTxSeq", ([seq]) => this.fileInfo(s.txBySeq(uintParam(seq, "tx_seq")))],
      [
        "zgs_checkFileFinalized",
        ([seqOrRoot]) => {
          const tx = typeof seqOrRoot === "string" ? s.txByRoot(rootParam(seqOrRoot)) : s.txBySeq(uintParam(seqOrRoot, "tx_seq_or_root"));
          return tx === undefined ? null : tx.finalized;
        },
      ],
      ["zgs_uploadSegment", ([seg]) => this.uploadMany([parseSegment(seg)], (x) => s.txByRoot(x.root), false)],
      ["zgs_uploadSegments", ([segs]) => this.uploadMany(segmentsParam(segs), (x) => s.txByRoot(x.root), false)],
      [
        "zgs_uploadSegmentByTxSeq",
        ([seg, seq]) => {
          const tx = s.txBySeq(uintParam(seq, "tx_seq"));
          return this.uploadMany([parseSegment(seg)], () => tx, false);
        },
      ],
      [
        "zgs_uploadSegmentsByTxSeq",
        ([segs, seq]) => {
          const tx = s.txBySeq(uintParam(seq, "tx_seq"));
          return this.uploadMany(segmentsParam(segs), () => tx, true);
        },
      ],
      [
        "zgs_downloadSegment",
        ([root, start, end]) => {
          const tx = s.txByRoot(rootParam(root));
          return tx === undefined ? null : this.chunks(tx.seq, uintParam(start, "start_index"), uintParam(end, "end_index"));
        },
      ],
      [
        "zgs_downloadSegmentByTxSeq",
        ([seq, start, end]) => this.chunks(uintParam(seq, "tx_seq"), uintParam(start, "start_index"), uintParam(end, "end_index")),
      ],
      ["zgs_downloadSegmentWithProof", ([root, index]) => this.segmentWithProof(s.txByRoot(rootParam(root)), uintParam(index, "index"))],
      [
        "zgs_downloadSegmentWithProofByTxSeq",
        ([seq, index]) => this.segmentWithProof(s.txBySeq(uintParam(seq, "tx_seq")), uintParam(index, "index")),
      ],
    ]);
  }
}
