import { open } from "node:fs/promises";

import { keccak_256 } from "@noble/hashes/sha3.js";
import { bytesToHex } from "@noble/hashes/utils.js";

import { flaiError, isFlaiError } from "../errors.js";

/**
 * The 0G storage Merkle root, bit-for-bit as `@0gfoundation/0g-ts-sdk@1.2.8` computes it
 * (AbstractFile.merkleTree): the file is zero-padded to the flow's padded size, every segment of
 * that padded stream gets its own chunk tree, and the file root is the same kind of tree over the
 * segment roots. The root is the file's identity on 0G, so any divergence here breaks uploads.
 */

export const CHUNK_SIZE = 256;
export const SEGMENT_CHUNKS = 1024;
export const SEGMENT_SIZE = CHUNK_SIZE * SEGMENT_CHUNKS;

const HASH_SIZE = 32;
const EMPTY_CHUNK_HASH = keccak_256(new Uint8Array(CHUNK_SIZE));

function ceilDiv(total: number, unit: number): number {
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

/**
 * Keccak with reused state: resetting from a pristine instance avoids a new hasher (and its
 * 200-byte state) for each of the millions of chunks in a large file.
 */
class Hasher {
  private readonly blank = keccak_256.create();
  private readonly work = keccak_256.create();

  hashInto(data: Uint8Array, out: Uint8Array): void {
    this.blank._cloneInto(this.work);
    this.work.update(data);
    this.work.digestInto(out);
  }
}

/**
 * Folds `count` consecutive 32-byte nodes in `nodes` level by level, an odd last node moving up
 * unchanged (as the SDK's MerkleTree.build does). In place: pair i is read before slot i is
 * written, and slot i never overlaps a later pair. The root ends up in nodes[0..32).
 */
function foldInPlace(hasher: Hasher, nodes: Uint8Array, count: number): void {
  let n = count;
  while (n > 1) {
    const pairs = n >>> 1;
    for (let i = 0; i < pairs; i++) {
      const from = i * 2 * HASH_SIZE;
      hasher.hashInto(nodes.subarray(from, from + 2 * HASH_SIZE), nodes.subarray(i * HASH_SIZE, (i + 1) * HASH_SIZE));
    }
    if (n % 2 === 1) nodes.copyWithin(pairs * HASH_SIZE, (n - 1) * HASH_SIZE, n * HASH_SIZE);
    n = pairs + (n % 2);
  }
}

/** Computes segment roots and the file root, reusing its buffers across segments. */
class RootBuilder {
  private readonly hasher = new Hasher();
  private readonly leaves = new Uint8Array(SEGMENT_CHUNKS * HASH_SIZE);
  private readonly lastChunk = new Uint8Array(CHUNK_SIZE);
  private readonly segmentRoots: Uint8Array;
  private segments = 0;

  constructor(readonly size: number) {
    if (size <= 0) throw new Error("RootBuilder needs a non-empty input");
    this.segmentRoots = new Uint8Array(ceilDiv(paddedSize(size), SEGMENT_SIZE) * HASH_SIZE);
  }

  /**
   * Adds the next segment. `data` holds its bytes from the file (a full segment except at the end
   * of the file); the rest of the segment up to the padded size is zeros.
   */
  addSegment(data: Uint8Array): void {
    const start = this.segments * SEGMENT_SIZE;
    const chunks = Math.min(SEGMENT_CHUNKS, (paddedSize(this.size) - start) / CHUNK_SIZE);
    const full = Math.floor(data.length / CHUNK_SIZE);
    const { hasher, leaves } = this;
    for (let i = 0; i < full; i++) {
      const at = i * CHUNK_SIZE;
      hasher.hashInto(data.subarray(at, at + CHUNK_SIZE), leaves.subarray(i * HASH_SIZE, (i + 1) * HASH_SIZE));
    }
    let filled = full;
    if (data.length % CHUNK_SIZE !== 0) {
      this.lastChunk.fill(0);
      this.lastChunk.set(data.subarray(full * CHUNK_SIZE));
      hasher.hashInto(this.lastChunk, leaves.subarray(filled * HASH_SIZE, (filled + 1) * HASH_SIZE));
      filled++;
    }
    // Padding chunks are all zeros: their leaf is a constant, no need to hash them.
    for (let i = filled; i < chunks; i++) leaves.set(EMPTY_CHUNK_HASH, i * HASH_SIZE);
    foldInPlace(hasher, leaves, chunks);
    this.segmentRoots.set(leaves.subarray(0, HASH_SIZE), this.segments * HASH_SIZE);
    this.segments++;
  }

  get expectedSegments(): number {
    return this.segmentRoots.length / HASH_SIZE;
  }

  root(): `0x${string}` {
    if (this.segments !== this.expectedSegments) {
      throw new Error(`RootBuilder got ${this.segments} of ${this.expectedSegments} segments`);
    }
    const nodes = this.segmentRoots.slice();
    foldInPlace(this.hasher, nodes, this.segments);
    return `0x${bytesToHex(nodes.subarray(0, HASH_SIZE))}`;
  }
}

/** The 0G storage root of `bytes`. */
export function computeRoot(bytes: Uint8Array): `0x${string}` {
  if (bytes.length === 0) {
    throw flaiError(
      "Cannot compute a 0G storage root of empty data (0 bytes): 0G storage has no identity for empty files. " +
        "Store at least one byte.",
    );
  }
  const builder = new RootBuilder(bytes.length);
  for (let s = 0; s < builder.expectedSegments; s++) {
    // Segments past the data (padding only) get an empty view.
    builder.addSegment(bytes.subarray(Math.min(s * SEGMENT_SIZE, bytes.length), Math.min((s + 1) * SEGMENT_SIZE, bytes.length)));
  }
  return builder.root();
}

/** The 0G storage root of the file at `path`, read one segment at a time. */
export async function computeFileRoot(path: string): Promise<`0x${string}`> {
  let handle;
  try {
    handle = await open(path, "r");
  } catch (error) {
    throw unreadable(path, error);
  }
  try {
    const { size } = await handle.stat();
    if (size === 0) {
      throw flaiError(
        `Cannot compute the 0G storage root of ${path}: the file is empty, and 0G storage has no identity for ` +
          "empty files. Store a file with at least one byte.",
      );
    }
    const builder = new RootBuilder(size);
    const buffer = new Uint8Array(SEGMENT_SIZE);
    for (let s = 0; s < builder.expectedSegments; s++) {
      const start = s * SEGMENT_SIZE;
      const want = Math.max(0, Math.min(SEGMENT_SIZE, size - start));
      let got = 0;
      while (got < want) {
        const { bytesRead } = await handle.read(buffer, got, want - got, start + got);
        if (bytesRead === 0) {
          throw flaiError(
            `${path} shrank while its 0G storage root was being computed (expected ${size} bytes). ` +
              "Wait until nothing writes to the file, then try again.",
          );
        }
        got += bytesRead;
      }
      builder.addSegment(buffer.subarray(0, want));
    }
    return builder.root();
  } catch (error) {
    throw isFlaiError(error) ? error : unreadable(path, error);
  } finally {
    await handle.close();
  }
}

function unreadable(path: string, error: unknown) {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  const reason =
    code === "ENOENT"
      ? "the file does not exist"
      : code === "EISDIR"
        ? "it is a directory, not a file"
        : code === "EACCES" || code === "EPERM"
          ? "permission denied"
          : `${(error as Error | undefined)?.message ?? String(error)}`;
  return flaiError(`Cannot read ${path}: ${reason}. Check the path and that the file is readable.`, error);
}
