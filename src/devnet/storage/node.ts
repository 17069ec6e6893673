import { CHUNK_SIZE, SEGMENT_CHUNKS } from "../../storage/merkle.js";
import { buildProof, proofSegmentChunks, segmentLayout, segmentRoot, toWire } from "../../storage/proof.js";

import { badParams, callFailed, internalError, invalidParams, type Handler } from "./rpc.js";
import { checkSegmentSize, parseSegment, validateSegment, type SegmentUpload } from "./segments.js";
import type { NodeStore, TxRecord } from "./store.js";
import type { SubmittedTx } from "./sync.js";

/**
 * One 0G storage node plus the indexer in front of it, answering the JSON-RPC methods the storage
 * SDK calls with the real node's shapes and error strings (node/rpc/src/zgs/impl.rs, rpc_helper.rs).
 */

export interface NodeFaults {
  /** Never learn submissions: uploads wait forever for the node to see their tx. */
  ignoreSubmissions?: boolean;
  /** Flip a byte in every served segment, so a download's root no longer matches. */
  corruptDownloads?: boolean;
  /**
   * Die like a killed process once this many segments were stored: every open connection is dropped
   * (in-flight requests get no reply), nothing more is stored, and the server stops listening. What
   * reached the disk stays there, so a node restarted on the same folder (and port) carries on.
   */
  dieAfterSegments?: number;
}

export interface NodeIdentity {
  chainId: bigint;
  flowAddress: string;
}

/** The node caches segments of not-yet-seen txs only for files up to this size (its max_cache_file_size). */
const MAX_CACHE_FILE_SIZE = 10 * 1024 * 1024;
const DUPLICATE = "segment has already been uploaded or is being uploaded";
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
  url = "";
  /** Called once when the dieAfterSegments fault fires: stops the server around this core. */
  onDeath: () => void = () => {};
  private dead = false;
  private storedSegments = 0;
  private readonly since = Math.floor(Date.now() / 1000);
  private readonly writing = new Set<string>();
  /** Segments uploaded before their tx was seen, per root (the node's in-memory chunk pool). */
  private readonly pool = new Map<string, { fileSize: number; segments: Map<number, { data: Uint8Array; root: Uint8Array }> }>();

  constructor(
    private readonly store: NodeStore,
    private readonly identity: NodeIdentity,
    private readonly faults: NodeFaults = {},
  ) {}

  // --- chain side --------------------------------------------------------------------------------

  /** Records a submission seen on chain; a file that is already stored is finalized at once (as the node copies it). */
  async learn(sub: SubmittedTx): Promise<void> {
    if (this.faults.ignoreSubmissions || this.store.txBySeq(sub.seq) !== undefined) return;
    const stored = this.store.txByRoot(sub.root);
    const reuse = stored?.finalized === true && stored.size === sub.size ? stored.dataSeq : undefined;
    const tx: TxRecord = { ...sub, finalized: reuse !== undefined, dataSeq: reuse ?? sub.seq };
    await this.store.putTx(tx);
    const cached = this.pool.get(sub.root);
    if (cached === undefined || tx.finalized) return;
    this.pool.delete(sub.root);
    // Segments cached for another size were proven against a different padding: the node drops them.
    if (cached.fileSize !== tx.size) return;
    for (const [index, seg] of cached.segments) {
      // Already checked when cached; a write can only fail as a duplicate, which changes nothing.
      await this.write(tx.seq, index, seg.data, seg.root).catch(() => undefined);
    }
  }

  // --- uploads -----------------------------------------------------------------------------------

  /** rpc_helper::put_segment_with_maybe_tx, check for check. */
  private async putSegment(seg: SegmentUpload, tx: TxRecord | undefined): Promise<void> {
    if (this.dead) throw internalError("the node is down");
    checkSegmentSize(seg.data);
    if (tx !== undefined && tx.root !== seg.root) throw internalError("data root and tx seq not match");
    const cache = this.pool.has(seg.root) || this.needCache(tx, seg.fileSize);
    const root = validateSegment(seg);
    if (cache) {
      let entry = this.pool.get(seg.root);
      if (entry === undefined) this.pool.set(seg.root, (entry = { fileSize: seg.fileSize, segments: new Map() }));
      entry.segments.set(seg.index, { data: seg.data, root });
      return;
    }
    await this.write(tx!.seq, seg.index, seg.data, root);
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

  /** Stores a checked segment; the tx is finalized once every data segment is in. */
  private async write(seq: number, index: number, data: Uint8Array, root: Uint8Array): Promise<void> {
    const tx = this.store.txBySeq(seq)!;
    const key = `${tx.dataSeq}:${index}`;
    if (this.dead) throw internalError("the node is down");
    if (this.store.hasSegment(tx.dataSeq, index) || this.writing.has(key)) throw callFailed(DUPLICATE);
    this.writing.add(key);
    try {
      await this.store.putSegment(tx.dataSeq, index, data, root);
    } finally {
      this.writing.delete(key);
    }
    const current = this.store.txBySeq(seq)!;
    if (!current.finalized && this.store.segmentCount(tx.dataSeq) === segmentLayout(tx.size).dataSegments) {
      await this.store.putTx({ ...current, finalized: true });
    }
    if (this.faults.dieAfterSegments !== undefined && ++this.storedSegments >= this.faults.dieAfterSegments && !this.dead) {
      this.dead = true;
      this.onDeath();
      throw internalError("the node is down"); // never seen: the connection is already gone
    }
  }

  private async uploadMany(segs: SegmentUpload[], txFor: (seg: SegmentUpload) => TxRecord | undefined, skipDuplicates: boolean) {
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
    if (this.faults.corruptDownloads && data.length > 0) data[0] ^= 0x01;
    return Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString("base64");
  }

  /** get_segment_with_proof_by_tx: one data segment and its proof in the file tree. */
  private async segmentWithProof(tx: TxRecord | undefined, index: number) {
    if (tx === undefined) return null;
    const layout = segmentLayout(tx.size);
    if (index >= layout.dataSegments) throw invalidParams("index", "index out of bound");
    const start = index * SEGMENT_CHUNKS;
    const end = index === layout.dataSegments - 1 ? start + layout.lastDataSegmentBytes / CHUNK_SIZE : start + SEGMENT_CHUNKS;
    const data = await this.store.readSegment(tx.dataSeq, index);
    if (data === undefined || data.length !== (end - start) * CHUNK_SIZE) return null;
    if (this.store.segmentCount(tx.dataSeq) < layout.dataSegments) return null; // the proof needs every segment root
    const leaves = await this.store.segmentRoots(tx.dataSeq, layout.dataSegments);
    const all = [...leaves];
    for (let i = layout.dataSegments; i < layout.proofSegments; i++) {
      all.push(segmentRoot(new Uint8Array(0), proofSegmentChunks(layout, i)));
    }
    return { root: tx.root, data: this.served(data), index, proof: toWire(buildProof(all, index)), fileSize: tx.size };
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
      uploadedSegNum: tx.finalized ? segments : this.store.contiguousSegments(tx.dataSeq),
      pruned: false,
    };
  }

  private shardedNode() {
    return { url: this.url, config: { numShard: 1, shardId: 0 }, latency: 0, since: this.since };
  }

  methods(): Map<string, Handler> {
    const s = this.store;
    return new Map<string, Handler>([
      ["indexer_getShardedNodes", () => ({ trusted: [this.shardedNode()], discovered: [] })],
      ["indexer_getNodeLocations", () => ({})],
      ["indexer_getFileLocations", ([root]) => (s.txByRoot(rootParam(root))?.finalized ? [this.shardedNode()] : null)],
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
      ["zgs_getShardConfig", () => ({ numShard: 1, shardId: 0 })],
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
