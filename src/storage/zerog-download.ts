// A 0G download of our own (issue 15), segment by segment over the StorageNode client, in place of the
// SDK's Indexer.download: that one cannot be aborted (a node claiming 50 GB kept it writing for minutes
// after we gave up), trusts the node's claimed size, and checks nothing until the whole file is in.
// Here the claimed size is checked before the first request, every segment is proven against the
// root as it arrives (a lying node is stopped at its first bad segment), and an abort stops the
// request under way and every later one.
import { open, statfs } from "node:fs/promises";
import path from "node:path";

import { StorageNode } from "#0g-storage-sdk";

import { flaiError, isFlaiError } from "../errors.js";
import { parseSegment, validateSegment } from "./segments.js";
import { holdsSegment, type ShardConfig } from "./shard.js";
import { MAX_LOCAL_FILE_BYTES } from "../util/local-file.js";
import { excerpt } from "../util/excerpt.js";
import { MAX_NODE_ANSWER_BYTES, sizeText } from "../util/http-body.js";

import { postJsonRpc } from "./evm-rpc.js";
import { fastRootsReady, SEGMENT_CHUNKS, SEGMENT_SIZE } from "./merkle.js";
import { segmentLayout } from "./proof.js";
import { withRetries } from "./retry.js";
import type { Root } from "./types.js";

/** Largest file downloaded: the local-input limit, since a download is read back as one (src/inputs.ts). */
export const MAX_DOWNLOAD_BYTES = MAX_LOCAL_FILE_BYTES;

/** A node the indexer lists for the root, with its shard when the indexer gave a valid one. */
export interface Holder {
  url: string;
  config?: ShardConfig;
}

export interface SegmentDownload {
  root: Root;
  /** The file's tx as a holder reported it (size in bytes, first chunk in the flow). */
  size: number;
  startEntryIndex: number;
  holders: readonly Holder[];
  /** Written from offset 0; must not exist. */
  tmp: string;
  attemptMs: number;
  retries: number;
  /** Aborted when the caller gives up: the request under way is dropped, no other is sent. */
  signal: AbortSignal;
  /** Told after each segment is proven and written (the stall timer restarts on it). */
  onSegment: (done: number, total: number) => void;
}

/** A bounded, abortable StorageNode: one attempt per request, answers capped, our signal on each. */
export function nodeClient(url: string, attemptMs: number, signal?: AbortSignal): StorageNode {
  const node = new StorageNode(url);
  (node as unknown as { _transport: (data: unknown) => Promise<unknown> })._transport = (data) =>
    postJsonRpc(url, data, attemptMs, { maxBytes: MAX_NODE_ANSWER_BYTES, signal });
  return node;
}

/** Refuses a claimed size over the download limit or over the free space beside `tmp`, before any transfer. */
export async function checkClaimedSize(root: Root, size: number, nodeUrl: string, tmp: string): Promise<void> {
  if (!Number.isSafeInteger(size) || size <= 0) {
    throw flaiError(
      `Storage node ${nodeUrl} gives ${root} a size of ${excerpt(String(size))} bytes, which no file has. The node is faulty; try again later or against another indexer.`,
    );
  }
  if (size > MAX_DOWNLOAD_BYTES) {
    throw flaiError(
      `Storage node ${nodeUrl} says ${root} is ${size} bytes, over the ${sizeText(MAX_DOWNLOAD_BYTES)} a download may be ` +
        "(the local-input limit, src/inputs.ts). Nothing was downloaded. Check the root; a node claiming this for a small file is faulty.",
    );
  }
  const free = await statfs(path.dirname(tmp)).then(
    (s) => Number(s.bavail) * Number(s.bsize),
    () => Infinity, // unknown: the write itself reports ENOSPC
  );
  if (size > free) {
    throw flaiError(
      `${root} is ${size} bytes but only ${free} bytes are free in ${path.dirname(tmp)}. Nothing was downloaded. Free some space or download elsewhere.`,
    );
  }
}

/** Downloads every data segment of the file into `tmp`, each proven against the root before it is written. */
export async function downloadSegments(job: SegmentDownload): Promise<void> {
  await fastRootsReady(); // segment roots with WebAssembly keccak, as uploads hash them
  const layout = segmentLayout(job.size);
  const firstGlobal = Math.floor(job.startEntryIndex / SEGMENT_CHUNKS);
  const clients = job.holders.map((h) => ({ ...h, node: nodeClient(h.url, job.attemptMs, job.signal) }));
  const file = await open(job.tmp, "wx");
  try {
    for (let index = 0; index < layout.dataSegments; index++) {
      job.signal.throwIfAborted();
      const holders = clients.filter((c) => c.config === undefined || holdsSegment(c.config, firstGlobal + index));
      // Spread segments over the holders of a shard, as the SDK does; the next holder is asked when one has none.
      const order = holders.map((_, k) => holders[(index + k) % holders.length]!);
      const data = await fetchSegment(job, order, index);
      const bytes = index === layout.dataSegments - 1 ? data.subarray(0, job.size - index * SEGMENT_SIZE) : data;
      await file.write(bytes, 0, bytes.length, index * SEGMENT_SIZE);
      job.onSegment(index + 1, layout.dataSegments);
    }
  } finally {
    await file.close();
  }
}

/**
 * Segment `index` from the first holder that has it, proven against the root. A holder that fails
 * (after its retries) passes the segment to the next; one that serves a bad segment or an oversized
 * answer ends the download. Null from all, or failures from all, is an error naming them.
 */
async function fetchSegment(
  job: SegmentDownload,
  holders: ReadonlyArray<Holder & { node: StorageNode }>,
  index: number,
): Promise<Uint8Array> {
  let failure: { url: string; error: Error } | undefined;
  for (const holder of holders) {
    job.signal.throwIfAborted();
    let answer: unknown;
    try {
      answer = await withRetries(() => holder.node.downloadSegmentWithProof(job.root, index), { retries: job.retries });
    } catch (error) {
      if (isFlaiError(error) || job.signal.aborted) throw error;
      failure = { url: holder.url, error: error as Error };
      continue;
    }
    if (answer === null) continue;
    return provenSegment(job, holder.url, index, answer);
  }
  if (failure !== undefined) {
    throw flaiError(
      `Storage node ${failure.url} failed to serve segment ${index} of ${job.root}: ${failure.error.message}. ` +
        "Nothing was written. Try again later or against another indexer.",
      failure.error,
    );
  }
  throw flaiError(
    `No storage node listed for ${job.root} holds its segment ${index} (asked ${holders.map((h) => h.url).join(", ") || "none: no listed node covers that shard"}). ` +
      "The nodes are still syncing or lost the data; try again later or against another indexer.",
  );
}

/** The segment's data once it is exactly the root's segment `index`, else an error naming the node. */
function provenSegment(job: SegmentDownload, url: string, index: number, answer: unknown): Uint8Array {
  try {
    const seg = parseSegment(answer);
    if (seg.root !== job.root || seg.index !== index || seg.fileSize !== job.size) {
      throw new Error(`it answered for root ${seg.root}, segment ${seg.index}, size ${seg.fileSize}`);
    }
    validateSegment(seg);
    return seg.data;
  } catch (error) {
    throw flaiError(
      `The storage node ${url} served bytes that are not ${job.root}: segment ${index} does not prove against the root ` +
        `(${excerpt((error as Error).message)}). Nothing was written; no more was downloaded. The node is faulty or malicious; ` +
        "try again later or against another indexer.",
      undefined,
      // Bytes served under the root that are not the root's: what a verifier calls tampered.
      { code: "root-mismatch" },
    );
  }
}
