import { keccak_256 } from "@noble/hashes/sha3.js";
import { bytesToHex, hexToBytes } from "@noble/hashes/utils.js";

import { CHUNK_SIZE, SEGMENT_CHUNKS, SEGMENT_SIZE, paddedChunkCount } from "./merkle.js";

/**
 * Segment-level Merkle proofs of 0G storage, as the SDK builds them (MerkleTree.proofAt) and the
 * storage node checks them (SegmentWithProof::validate): the leaves of a file's tree are the roots
 * of its 256 KiB segments over the flow-padded stream, an odd node is carried up unchanged, and a
 * proof is `lemma = [leaf, siblings bottom-up..., root]` with `path[k]` true when the node at level
 * k is a left child. A one-leaf tree has `lemma = [root]` and no path.
 */

const HASH_SIZE = 32;

export interface FileProof {
  lemma: Uint8Array[];
  path: boolean[];
}

/** A proof as it travels in JSON-RPC (0x-prefixed hex hashes). */
export interface WireProof {
  lemma: string[];
  path: boolean[];
}

export function toWire(proof: FileProof): WireProof {
  return { lemma: proof.lemma.map((h) => `0x${bytesToHex(h)}`), path: [...proof.path] };
}

export function fromWire(proof: WireProof): FileProof {
  return { lemma: proof.lemma.map((h) => hexToBytes(h.startsWith("0x") ? h.slice(2) : h)), path: [...proof.path] };
}

/** How a `size`-byte file splits into segments, for storage (data) and for proofs (padded stream). */
export interface SegmentLayout {
  /** Segments that hold file bytes. */
  dataSegments: number;
  /** Byte length of the last data segment, its last chunk zero-filled to 256 bytes. */
  lastDataSegmentBytes: number;
  /** Leaves of the file's tree: segments of the flow-padded stream. */
  proofSegments: number;
  /** Chunks in the last leaf segment of the padded stream. */
  lastProofSegmentChunks: number;
}

export function segmentLayout(size: number): SegmentLayout {
  if (!Number.isSafeInteger(size) || size <= 0) throw new RangeError(`file size must be a positive integer, got ${size}`);
  const chunks = Math.ceil(size / CHUNK_SIZE);
  const dataSegments = Math.ceil(size / SEGMENT_SIZE);
  const padded = paddedChunkCount(chunks);
  return {
    dataSegments,
    lastDataSegmentBytes: (chunks - (dataSegments - 1) * SEGMENT_CHUNKS) * CHUNK_SIZE,
    proofSegments: Math.ceil(padded / SEGMENT_CHUNKS),
    lastProofSegmentChunks: padded - (Math.ceil(padded / SEGMENT_CHUNKS) - 1) * SEGMENT_CHUNKS,
  };
}

/** Chunks of segment `index` in the padded stream (what its root is computed over). */
export function proofSegmentChunks(layout: SegmentLayout, index: number): number {
  return index === layout.proofSegments - 1 ? layout.lastProofSegmentChunks : SEGMENT_CHUNKS;
}

/** keccak with reused state: a segment root hashes ~2000 times. */
class Hasher {
  private readonly blank = keccak_256.create();
  private readonly work = keccak_256.create();

  hash(data: Uint8Array, out = new Uint8Array(HASH_SIZE)): Uint8Array {
    this.blank._cloneInto(this.work);
    this.work.update(data);
    this.work.digestInto(out);
    return out;
  }

  pair(left: Uint8Array, right: Uint8Array): Uint8Array {
    this.blank._cloneInto(this.work);
    this.work.update(left);
    this.work.update(right);
    const out = new Uint8Array(HASH_SIZE);
    this.work.digestInto(out);
    return out;
  }
}

const hasher = new Hasher();

export function hashPair(left: Uint8Array, right: Uint8Array): Uint8Array {
  return hasher.pair(left, right);
}

const zeroHashes: Uint8Array[] = [keccak_256(new Uint8Array(CHUNK_SIZE))];

/** Root of a full subtree of 2^depth zero chunks (the node's ZERO_HASHES[depth]). */
export function zeroHash(depth: number): Uint8Array {
  while (zeroHashes.length <= depth) {
    const below = zeroHashes[zeroHashes.length - 1]!;
    zeroHashes.push(hashPair(below, below));
  }
  return zeroHashes[depth]!;
}

/** Folds a level of nodes to its root, an odd last node moving up unchanged. */
export function rootOf(leaves: readonly Uint8Array[]): Uint8Array {
  if (leaves.length === 0) throw new RangeError("a Merkle tree needs at least one leaf");
  let level = leaves;
  while (level.length > 1) {
    const next: Uint8Array[] = [];
    for (let i = 0; i + 1 < level.length; i += 2) next.push(hashPair(level[i]!, level[i + 1]!));
    if (level.length % 2 === 1) next.push(level[level.length - 1]!);
    level = next;
  }
  return level[0]!;
}

/**
 * Root of one segment: its chunks (the last one zero-filled) followed by zero chunks up to `chunks`
 * leaves. `data` may be shorter than `chunks` chunks but not longer.
 */
export function segmentRoot(data: Uint8Array, chunks: number): Uint8Array {
  const dataChunks = Math.ceil(data.length / CHUNK_SIZE);
  if (dataChunks > chunks) throw new RangeError(`segment data spans ${dataChunks} chunks, more than ${chunks}`);
  const leaves = new Uint8Array(chunks * HASH_SIZE);
  const full = Math.floor(data.length / CHUNK_SIZE);
  for (let i = 0; i < full; i++) {
    hasher.hash(data.subarray(i * CHUNK_SIZE, (i + 1) * CHUNK_SIZE), leaves.subarray(i * HASH_SIZE, (i + 1) * HASH_SIZE));
  }
  if (dataChunks > full) {
    const last = new Uint8Array(CHUNK_SIZE);
    last.set(data.subarray(full * CHUNK_SIZE));
    hasher.hash(last, leaves.subarray(full * HASH_SIZE, (full + 1) * HASH_SIZE));
  }
  for (let i = dataChunks; i < chunks; i++) leaves.set(zeroHash(0), i * HASH_SIZE);
  const nodes: Uint8Array[] = [];
  for (let i = 0; i < chunks; i++) nodes.push(leaves.subarray(i * HASH_SIZE, (i + 1) * HASH_SIZE));
  return rootOf(nodes);
}

/** Proof of leaf `index` in the tree over `leaves`, exactly as the SDK's MerkleTree.proofAt. */
export function buildProof(leaves: readonly Uint8Array[], index: number): FileProof {
  if (!Number.isInteger(index) || index < 0 || index >= leaves.length) {
    throw new RangeError(`leaf index ${index} out of range (0..${leaves.length - 1})`);
  }
  if (leaves.length === 1) return { lemma: [leaves[0]!], path: [] };
  const lemma: Uint8Array[] = [leaves[index]!];
  const path: boolean[] = [];
  let level = leaves;
  let at = index;
  while (level.length > 1) {
    if (at % 2 === 1) {
      lemma.push(level[at - 1]!);
      path.push(false);
    } else if (at + 1 < level.length) {
      lemma.push(level[at + 1]!);
      path.push(true);
    } // else: the odd last node is carried up, no sibling at this level
    const next: Uint8Array[] = [];
    for (let i = 0; i + 1 < level.length; i += 2) next.push(hashPair(level[i]!, level[i + 1]!));
    if (level.length % 2 === 1) next.push(level[level.length - 1]!);
    level = next;
    at = Math.floor(at / 2);
  }
  lemma.push(level[0]!);
  return { lemma, path };
}

function nextPow2(n: number): number {
  let p = 1;
  while (p < n) p *= 2;
  return p;
}

/** Leaf position a proof's path points to in a tree of `leafCount` leaves (the node's FileProof::position). */
export function proofPosition(path: readonly boolean[], leafCount: number): number {
  let left = leafCount;
  let position = 0;
  for (let i = path.length - 1; i >= 0; i--) {
    if (left <= 1) {
      throw new ProofError(`Proof path too long for a tree size: path=${rustBools(path)}, size=${leafCount}`);
    }
    const subtree = nextPow2(left) / 2;
    if (path[i]) {
      left = subtree;
    } else {
      position += subtree;
      left -= subtree;
    }
  }
  if (left !== 1) throw new ProofError(`Proof path too short for a tree size: path=${rustBools(path)}, size=${leafCount}`);
  return position;
}

/** Whether hashing up from the lemma's leaf through its siblings ends at the lemma's root. */
export function proofComputesRoot(proof: FileProof): boolean {
  const { lemma, path } = proof;
  if (lemma.length === 1 && path.length === 0) return true;
  if (lemma.length < 2 || lemma.length !== path.length + 2) return false;
  let hash = lemma[0]!;
  for (let i = 1; i < lemma.length - 1; i++) {
    hash = path[i - 1] ? hashPair(hash, lemma[i]!) : hashPair(lemma[i]!, hash);
  }
  return equalBytes(hash, lemma[lemma.length - 1]!);
}

/**
 * The node's rear-padding rule: a sibling that covers only padding segments (none of the file's
 * `dataLeaves`) must be the zero-subtree hash of its height, so a proof cannot smuggle data into
 * the padding. `leafDepth` is the depth of one leaf's own subtree (10 for a 1024-chunk segment).
 */
export function rearPaddingValid(proof: FileProof, leafCount: number, dataLeaves: number, leafDepth: number): boolean {
  const { lemma, path } = proof;
  let left = leafCount;
  let position = 0;
  for (let i = 0; i < path.length; i++) {
    const isLeft = path[path.length - 1 - i]!;
    const subtree = nextPow2(left) / 2;
    if (!isLeft) {
      position += subtree;
      left -= subtree;
    } else {
      left = subtree;
      if (position + subtree >= dataLeaves) {
        const expected = zeroHash(Math.log2(subtree) + leafDepth);
        if (!equalBytes(lemma[lemma.length - 2 - i]!, expected)) return false;
      }
    }
  }
  return true;
}

/** Verifies a segment proof end to end (for clients; the node reports each failure separately). */
export function verifyProof(proof: FileProof, leaf: Uint8Array, root: Uint8Array, position: number, leafCount: number): boolean {
  try {
    if (proofPosition(proof.path, leafCount) !== position) return false;
  } catch {
    return false;
  }
  return proofComputesRoot(proof) && equalBytes(proof.lemma[proof.lemma.length - 1]!, root) && equalBytes(proof.lemma[0]!, leaf);
}

export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** A proof that the node rejects; the message is the node's own. */
export class ProofError extends Error {}

/** Rust's Debug format of a bool slice, as the node prints paths in its errors. */
function rustBools(path: readonly boolean[]): string {
  return `[${path.join(", ")}]`;
}
