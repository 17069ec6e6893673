/**
 * The hashing core of the 0G storage Merkle root (merkle.ts has the rules and the public API):
 * keccak, segment roots, folding, and the worker-thread entry that computes the segment roots of a
 * range of a file's segments.
 *
 * This file is also a worker's entry point, so it imports only packages and node: modules and uses
 * only erasable TypeScript: Node runs it as is (type stripping), with no TypeScript loader.
 */
import { closeSync, openSync, readSync } from "node:fs";
import { isMainThread, parentPort, workerData } from "node:worker_threads";

import { keccak_256 } from "@noble/hashes/sha3.js";
import { createKeccak } from "hash-wasm";

export const CHUNK_SIZE = 256;
export const SEGMENT_CHUNKS = 1024;
export const SEGMENT_SIZE = CHUNK_SIZE * SEGMENT_CHUNKS;
export const HASH_SIZE = 32;

export function ceilDiv(total: number, unit: number): number {
  return Math.ceil(total / unit);
}

function nextPow2(n: number): number {
  let p = 1;
  while (p < n) p *= 2;
  return p;
}

/**
 * Chunks the flow reserves for `chunks` data chunks: a power of two stays as is; otherwise it is
 * rounded up to a multiple of nextPow2/16 (at least 1), so a file never wastes more than ~1/16.
 */
export function paddedChunkCount(chunks: number): number {
  const pow2 = nextPow2(chunks);
  if (pow2 === chunks) return chunks;
  const unit = Math.max(1, Math.floor(pow2 / 16));
  return ceilDiv(chunks, unit) * unit;
}

/** Bytes the Merkle tree covers for a `size`-byte file (data plus zero padding). */
export function paddedSize(size: number): number {
  return paddedChunkCount(ceilDiv(size, CHUNK_SIZE)) * CHUNK_SIZE;
}

/** Segments (data and padding-only) of a `size`-byte file's tree. */
export function segmentCount(size: number): number {
  return ceilDiv(paddedSize(size), SEGMENT_SIZE);
}

/** Writes keccak256(data) to out[at, at + 32). Reads all of `data` before writing (in-place folds rely on it). */
export type HashInto = (data: Uint8Array, out: Uint8Array, at: number) => void;

/** Pure-JS keccak with reused state (a pristine instance is cloned instead of allocating a hasher per chunk). */
export function nobleHashInto(): HashInto {
  const blank = keccak_256.create();
  const work = keccak_256.create();
  return (data, out, at) => {
    blank._cloneInto(work);
    work.update(data);
    work.digestInto(out.subarray(at, at + HASH_SIZE));
  };
}

/**
 * WebAssembly keccak (hash-wasm), ~5× the pure-JS one on 256-byte chunks. Instantiating it is
 * asynchronous, so it is started when this module loads; synchronous callers use it once it is ready
 * and the pure-JS hasher until then (the roots are the same either way).
 */
let wasmHash: HashInto | undefined;
const wasmReady: Promise<void> = createKeccak(256).then(
  (hasher) => {
    wasmHash = (data, out, at) => {
      hasher.init();
      hasher.update(data);
      out.set(hasher.digest("binary"), at);
    };
  },
  () => {
    // No usable WebAssembly here: stay on the pure-JS hasher.
  },
);
const nobleHash = nobleHashInto();

/** The fastest hasher available right now. */
export function currentHashInto(): HashInto {
  return wasmHash ?? nobleHash;
}

/** Whether the WebAssembly hasher is loaded (it is used from then on). */
export function wasmKeccakLoaded(): boolean {
  return wasmHash !== undefined;
}

/** The fastest hasher, after waiting for the WebAssembly one to load (or fail to). */
export async function fastHashInto(): Promise<HashInto> {
  await wasmReady;
  return currentHashInto();
}

const EMPTY_CHUNK_HASH = keccak_256(new Uint8Array(CHUNK_SIZE));

/**
 * Folds `count` consecutive 32-byte nodes in `nodes` level by level, an odd last node moving up
 * unchanged (as the SDK's MerkleTree.build does). In place: pair i is read before slot i is
 * written, and slot i never overlaps a later pair. The root ends up in nodes[0..32).
 */
export function foldInPlace(hash: HashInto, nodes: Uint8Array, count: number): void {
  let n = count;
  while (n > 1) {
    const pairs = n >>> 1;
    for (let i = 0; i < pairs; i++) {
      const from = i * 2 * HASH_SIZE;
      hash(nodes.subarray(from, from + 2 * HASH_SIZE), nodes, i * HASH_SIZE);
    }
    if (n % 2 === 1) nodes.copyWithin(pairs * HASH_SIZE, (n - 1) * HASH_SIZE, n * HASH_SIZE);
    n = pairs + (n % 2);
  }
}

/**
 * Computes segment roots, reusing its buffers. Segment s covers file bytes
 * [s·SEGMENT_SIZE, (s+1)·SEGMENT_SIZE), zero-padded up to the file's padded size.
 */
export class SegmentHasher {
  private readonly hash: HashInto;
  private readonly padded: number;
  private readonly leaves = new Uint8Array(SEGMENT_CHUNKS * HASH_SIZE);
  private readonly lastChunk = new Uint8Array(CHUNK_SIZE);

  constructor(hash: HashInto, size: number) {
    this.hash = hash;
    this.padded = paddedSize(size);
  }

  /**
   * Writes the roots of segments [first, first + count) to out[at, at + 32·count). `data` holds
   * their bytes from the file: whole segments, except that it stops at the end of the file (so it
   * is short, or empty for segments of padding only).
   */
  roots(first: number, count: number, data: Uint8Array, out: Uint8Array, at: number): void {
    for (let j = 0; j < count; j++) {
      const from = Math.min(j * SEGMENT_SIZE, data.length);
      this.segmentRoot(first + j, data.subarray(from, Math.min(from + SEGMENT_SIZE, data.length)), out, at + j * HASH_SIZE);
    }
  }

  private segmentRoot(segment: number, data: Uint8Array, out: Uint8Array, at: number): void {
    const { hash, leaves } = this;
    const chunks = Math.min(SEGMENT_CHUNKS, (this.padded - segment * SEGMENT_SIZE) / CHUNK_SIZE);
    const full = Math.floor(data.length / CHUNK_SIZE);
    for (let i = 0; i < full; i++) hash(data.subarray(i * CHUNK_SIZE, (i + 1) * CHUNK_SIZE), leaves, i * HASH_SIZE);
    let filled = full;
    if (data.length % CHUNK_SIZE !== 0) {
      this.lastChunk.fill(0);
      this.lastChunk.set(data.subarray(full * CHUNK_SIZE));
      hash(this.lastChunk, leaves, filled * HASH_SIZE);
      filled++;
    }
    // Padding chunks are all zeros: their leaf is a constant, no need to hash them.
    for (let i = filled; i < chunks; i++) leaves.set(EMPTY_CHUNK_HASH, i * HASH_SIZE);
    foldInPlace(hash, leaves, chunks);
    out.set(leaves.subarray(0, HASH_SIZE), at);
  }
}

/** Root over all segment roots of a file (folds `roots` in place). */
export function foldRoots(hash: HashInto, roots: Uint8Array): Uint8Array {
  foldInPlace(hash, roots, roots.length / HASH_SIZE);
  return roots.subarray(0, HASH_SIZE);
}

/** The root of in-memory bytes (non-empty), with the given hasher. */
export function bytesRoot(hash: HashInto, bytes: Uint8Array): Uint8Array {
  const segments = segmentCount(bytes.length);
  const roots = new Uint8Array(segments * HASH_SIZE);
  new SegmentHasher(hash, bytes.length).roots(0, segments, bytes, roots, 0);
  return foldRoots(hash, roots);
}

/**
 * A file is hashed in blocks of this many segments (2 MiB): the unit of a read, and the unit the
 * threads hashing one file claim from their shared counter.
 */
export const BLOCK_SEGMENTS = 8;

/** Segments [first, first + count) of block `block` of a file with `segments` segments. */
export function blockRange(block: number, segments: number): { first: number; count: number } {
  const first = block * BLOCK_SEGMENTS;
  return { first, count: Math.min(BLOCK_SEGMENTS, segments - first) };
}

/** Bytes of the file that block `block` covers (0 for a block of padding only). */
export function blockBytes(block: number, segments: number, size: number): { start: number; length: number } {
  const { first, count } = blockRange(block, segments);
  const start = first * SEGMENT_SIZE;
  return { start, length: Math.max(0, Math.min(count * SEGMENT_SIZE, size - start)) };
}

/**
 * What a worker is given: the `size`-byte file at `path`, and `claims`, a counter shared by every
 * thread hashing this file: each thread takes the next block with Atomics.add until none is left.
 */
export interface SegmentJob {
  flaiMerkleSegments: 1;
  path: string;
  size: number;
  claims: Int32Array;
}

/** What a worker posts: the segment roots of one block it hashed, or why it stopped. */
export type SegmentReply = { block: number; roots: Uint8Array } | { error: string };

function runWorker(job: SegmentJob): void {
  const { path, size, claims } = job;
  const segments = segmentCount(size);
  const blocks = ceilDiv(segments, BLOCK_SEGMENTS);
  let fd: number | undefined;
  try {
    fd = openSync(path, "r");
    const hasher = new SegmentHasher(currentHashInto(), size);
    const buffer = new Uint8Array(BLOCK_SEGMENTS * SEGMENT_SIZE);
    for (let block = Atomics.add(claims, 0, 1); block < blocks; block = Atomics.add(claims, 0, 1)) {
      const { first, count } = blockRange(block, segments);
      const { start, length } = blockBytes(block, segments, size);
      for (let got = 0; got < length;) {
        const bytesRead = readSync(fd, buffer, got, length - got, start + got);
        // The file shrank: stop; the main thread re-hashes this block and reports it.
        if (bytesRead === 0) throw new Error(`${path} is shorter than ${size} bytes`);
        got += bytesRead;
      }
      const roots = new Uint8Array(count * HASH_SIZE);
      hasher.roots(first, count, buffer.subarray(0, length), roots, 0);
      const reply: SegmentReply = { block, roots };
      parentPort!.postMessage(reply, [roots.buffer]);
    }
  } catch (error) {
    const reply: SegmentReply = { error: error instanceof Error ? error.message : String(error) };
    parentPort!.postMessage(reply);
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

if (!isMainThread && (workerData as Partial<SegmentJob> | null)?.flaiMerkleSegments === 1) {
  // Hash with WebAssembly from the first block (waiting costs less than one block in pure JS).
  void fastHashInto().then(() => runWorker(workerData as SegmentJob));
}
