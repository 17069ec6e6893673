import http from "node:http";

import { computeRoot, SEGMENT_SIZE } from "../../src/storage/merkle.js";
import { buildProof, proofSegmentChunks, segmentLayout, segmentRoot, toWire, zeroHash } from "../../src/storage/proof.js";
import { listenLoopback } from "./net.js";

/**
 * One loopback HTTP server acting as a 0G indexer and the single storage node it lists, serving a
 * real file with real proofs, whose answers a test can bend per request: a lying size, a corrupt or
 * endless segment, a segment that never comes, a slow one. It counts the requests it gets and the
 * connections that closed, so a test can tell that a client stopped.
 */

export type SegmentFault = "corrupt" | "endless" | "hang" | "huge-length" | "reset" | undefined;

export interface FakeZeroGOptions {
  bytes: Uint8Array;
  /** The size the node claims (default: the real one). */
  claimedSize?: number;
  /** What segment `index`'s answer does instead of being served. */
  fault?: (index: number) => SegmentFault;
  /** Milliseconds to wait before each segment answer (a slow but steady node). */
  delayMs?: number;
  /** The node's answer to zgs_getFileInfo is endless. */
  endlessInfo?: boolean;
  /** More storage nodes the indexer lists for the file (after this one). */
  otherHolders?: string[];
}

export interface FakeZeroG {
  url: string;
  root: `0x${string}`;
  /** Times (Date.now()) segment requests arrived. */
  readonly segmentRequests: number[];
  /** Connections whose socket closed while the server was still sending to them. */
  readonly cutOff: number;
  /** Bytes written into endless answers before the client dropped them. */
  readonly endlessBytes: number;
  close(): Promise<void>;
}

interface Call {
  id: unknown;
  method: string;
  params: unknown[];
}

export async function startFakeZeroG(opts: FakeZeroGOptions): Promise<FakeZeroG> {
  const { bytes } = opts;
  const root = computeRoot(bytes);
  const layout = segmentLayout(bytes.length);
  const segmentData = (i: number) => {
    const data = bytes.subarray(i * SEGMENT_SIZE, Math.min(bytes.length, (i + 1) * SEGMENT_SIZE));
    const padded = new Uint8Array(i === layout.dataSegments - 1 ? layout.lastDataSegmentBytes : SEGMENT_SIZE);
    padded.set(data);
    return padded;
  };
  const leaves = Array.from({ length: layout.proofSegments }, (_, i) =>
    i < layout.dataSegments ? segmentRoot(segmentData(i), proofSegmentChunks(layout, i)) : zeroHash(10),
  );
  const state = { segmentRequests: [] as number[], cutOff: 0, endlessBytes: 0 };
  let url = "";

  const endless = (res: http.ServerResponse, counter: "endlessBytes" | undefined) => {
    res.writeHead(200, { "content-type": "application/json" });
    const block = Buffer.alloc(64 * 1024, 0x20);
    res.write('{"jsonrpc":"2.0","id":1,"result":"');
    const pump = () => {
      while (!res.destroyed) {
        if (counter !== undefined) state[counter] += block.length;
        if (!res.write(block)) {
          res.once("drain", pump);
          return;
        }
      }
    };
    res.on("close", () => state.cutOff++);
    pump();
  };

  const reply = (res: http.ServerResponse, id: unknown, result: unknown) => {
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({ jsonrpc: "2.0", id, result }));
  };

  const answerSegment = async (res: http.ServerResponse, call: Call, plain?: (data: Buffer) => string) => {
    const index = Number(call.params[1]);
    state.segmentRequests.push(Date.now());
    if (opts.delayMs !== undefined) await new Promise((resolve) => setTimeout(resolve, opts.delayMs));
    const fault = opts.fault?.(index);
    if (fault === "hang") {
      res.on("close", () => state.cutOff++);
      return;
    }
    if (fault === "endless") return endless(res, "endlessBytes");
    if (fault === "reset") return void res.socket?.resetAndDestroy();
    if (fault === "huge-length") {
      res.writeHead(200, { "content-type": "application/json", "content-length": String(50 * 1024 ** 3) });
      res.on("close", () => state.cutOff++);
      res.write("{");
      return;
    }
    const data = Buffer.from(segmentData(index));
    if (fault === "corrupt") data[0]! ^= 0x01;
    if (plain !== undefined) return reply(res, call.id, plain(data));
    reply(res, call.id, { root, data: data.toString("base64"), index, proof: toWire(buildProof(leaves, index)), fileSize: bytes.length });
  };

  /** zgs_downloadSegmentByTxSeq(seq, start, end): the segment's chunks, without a proof, faults applied. */
  const answerChunks = async (res: http.ServerResponse, call: Call) => {
    const [start, end] = [Number(call.params[1]), Number(call.params[2])];
    const index = Math.floor(start / 1024);
    if (index >= layout.dataSegments) return reply(res, call.id, null);
    await answerSegment(res, { ...call, params: [root, index] }, (data) => data.subarray(0, (end - start) * 256).toString("base64"));
  };

  const server = http.createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on("data", (part: Buffer) => parts.push(part));
    req.on("end", () => {
      const call = JSON.parse(Buffer.concat(parts).toString("utf8")) as Call;
      switch (call.method) {
        case "indexer_getFileLocations":
          return reply(
            res,
            call.id,
            [url, ...(opts.otherHolders ?? [])].map((holder) => ({
              url: holder,
              config: { numShard: 1, shardId: 0 },
              latency: 0,
              since: 0,
            })),
          );
        case "zgs_getFileInfo": {
          if (opts.endlessInfo === true) return endless(res, undefined);
          const size = opts.claimedSize ?? bytes.length;
          const tx = { streamIds: [], data: [], dataMerkleRoot: root, merkleNodes: [], startEntryIndex: 0, size, seq: 0 };
          return reply(res, call.id, { tx, finalized: true, isCached: false, uploadedSegNum: layout.dataSegments, pruned: false });
        }
        case "zgs_downloadSegmentWithProof":
          return void answerSegment(res, call);
        // What the SDK's own download asks (so a test can show what it does with the same faults).
        case "zgs_getShardConfig":
          return reply(res, call.id, { numShard: 1, shardId: 0 });
        case "zgs_downloadSegmentByTxSeq":
          return void answerChunks(res, call);
        default:
          res.writeHead(200, { "content-type": "application/json" });
          res.end(JSON.stringify({ jsonrpc: "2.0", id: call.id, error: { code: -32601, message: "Method not found" } }));
      }
    });
  });
  const listening = await listenLoopback(server);
  url = listening.url;
  return {
    url,
    root,
    get segmentRequests() {
      return state.segmentRequests;
    },
    get cutOff() {
      return state.cutOff;
    },
    get endlessBytes() {
      return state.endlessBytes;
    },
    close: listening.close,
  };
}
