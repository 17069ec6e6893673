import { bytesToHex, hexToBytes } from "@noble/hashes/utils.js";

import { CHUNK_SIZE, SEGMENT_CHUNKS, SEGMENT_SIZE } from "./merkle.js";
import { HASH_SIZE, currentHashInto, foldInPlace } from "./merkle-segments.js";
import {
  ProofError,
  equalBytes,
  proofComputesRoot,
  proofPosition,
  rearPaddingValid,
  segmentLayout,
  zeroHash,
  type FileProof,
} from "./proof.js";

import { badParams, callFailed, invalidParams } from "./rpc-error.js";

/**
 * A segment upload (the node's SegmentWithProof) and the checks the real node runs on it before it
 * stores anything (node/rpc/src/types.rs, chunk_pool), with the node's own error strings.
 */

export interface SegmentUpload {
  root: string;
  data: Uint8Array;
  index: number;
  proof: FileProof;
  fileSize: number;
}

const HASH_HEX = /^0x[0-9a-fA-F]{64}$/;
const SEGMENT_TREE_DEPTH = Math.log2(SEGMENT_CHUNKS);

function isIndex(value: unknown): value is number {
  return typeof value === "number" && Number.isSafeInteger(value) && value >= 0;
}

/**
 * Standard padded base64, strictly (as the node's base64 decoding): anything whose canonical
 * encoding is not the text itself (other characters, missing padding, stray bits) is refused.
 * Re-encoding is native and linear; the regular expression this replaces took ~0.8 s per 64 MiB.
 */
function strictBase64(text: string): Uint8Array {
  const bytes = Buffer.from(text, "base64");
  if (text.length % 4 !== 0 || bytes.toString("base64") !== text) throw badParams("data: expected base64");
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length);
}

/** Decodes the JSON shape; a malformed one is a deserialization error, as in jsonrpsee. */
export function parseSegment(value: unknown): SegmentUpload {
  if (value === null || typeof value !== "object" || Array.isArray(value))
    throw badParams("invalid type: expected struct SegmentWithProof");
  const v = value as Record<string, unknown>;
  if (typeof v.root !== "string" || !HASH_HEX.test(v.root)) throw badParams("root: expected a 0x-prefixed 32-byte hex string");
  if (typeof v.data !== "string") throw badParams("data: expected base64");
  const data = strictBase64(v.data);
  if (!isIndex(v.index)) throw badParams("index: expected a non-negative integer");
  if (!isIndex(v.fileSize)) throw badParams("fileSize: expected a non-negative integer");
  const proof = v.proof as { lemma?: unknown; path?: unknown } | null;
  if (
    proof === null ||
    typeof proof !== "object" ||
    !Array.isArray(proof.lemma) ||
    !Array.isArray(proof.path) ||
    !proof.lemma.every((h) => typeof h === "string" && HASH_HEX.test(h)) ||
    !proof.path.every((p) => typeof p === "boolean")
  ) {
    throw badParams("proof: expected {lemma: 32-byte hex[], path: bool[]}");
  }
  return {
    root: v.root.toLowerCase(),
    data,
    index: v.index,
    fileSize: v.fileSize,
    proof: { lemma: (proof.lemma as string[]).map((h) => hexToBytes(h.slice(2))), path: proof.path as boolean[] },
  };
}

/** ChunkPool::validate_segment_size, the first check of every upload. */
export function checkSegmentSize(data: Uint8Array): void {
  if (data.length === 0) throw callFailed("data is empty");
  if (data.length % CHUNK_SIZE !== 0 || data.length > SEGMENT_SIZE) throw callFailed("invalid data length");
}

/**
 * Root of a segment's `data` zero-extended to `chunks` chunks (its length was checked against its place in the file),
 * with the WebAssembly keccak the storage client uses (proof.ts's segmentRoot, pure-JS, took ~3.7 s
 * for the 256 segments of a 64 MiB upload). The real node hashes natively; the result is the same.
 */
function fastSegmentRoot(data: Uint8Array, chunks: number): Uint8Array {
  const hash = currentHashInto();
  const leaves = new Uint8Array(chunks * HASH_SIZE);
  const dataChunks = Math.ceil(data.length / CHUNK_SIZE);
  for (let i = 0; i < dataChunks; i++) {
    const chunk = data.subarray(i * CHUNK_SIZE, (i + 1) * CHUNK_SIZE);
    const whole = chunk.length === CHUNK_SIZE ? chunk : Uint8Array.from({ length: CHUNK_SIZE }, (_, j) => chunk[j] ?? 0);
    hash(whole, leaves, i * HASH_SIZE);
  }
  for (let i = dataChunks; i < chunks; i++) leaves.set(zeroHash(0), i * HASH_SIZE);
  foldInPlace(hash, leaves, chunks);
  return leaves.slice(0, HASH_SIZE);
}

/** Rust's Debug format of a 32-byte array, as the node prints hashes in these errors. */
function rustBytes(hash: Uint8Array): string {
  return `[${Array.from(hash).join(", ")}]`;
}

/**
 * SegmentWithProof::validate: the data has the exact length of its place in the file, and the
 * proof ties the root of that data (zero-extended over the flow padding) to the file root at the
 * claimed index. Returns the segment root.
 */
export function validateSegment(seg: SegmentUpload): Uint8Array {
  if (seg.fileSize === 0) throw invalidParams("file_size", "file is empty");
  const layout = segmentLayout(seg.fileSize);
  if (seg.index >= layout.dataSegments) throw invalidParams("index", "index out of bound");
  const expected = seg.index === layout.dataSegments - 1 ? layout.lastDataSegmentBytes : SEGMENT_SIZE;
  if (seg.data.length !== expected) throw invalidParams("data", "invalid data length");

  const { lemma, path } = seg.proof;
  if (path.length === 0 ? lemma.length !== 1 : lemma.length !== path.length + 2) throw invalidParams("proof", "invalid proof");

  const proofChunks = seg.index === layout.proofSegments - 1 ? layout.lastProofSegmentChunks : SEGMENT_CHUNKS;
  const dataChunks = seg.data.length / CHUNK_SIZE;
  const root = fastSegmentRoot(seg.data, Math.max(proofChunks, dataChunks));

  let position: number;
  try {
    position = proofPosition(path, layout.proofSegments);
  } catch (error) {
    if (error instanceof ProofError) throw callFailed(error.message);
    throw error;
  }
  if (position !== seg.index) throw callFailed(`wrong position: proof_pos=${position} provided=${seg.index}`);
  if (!proofComputesRoot(seg.proof)) throw invalidParams("proof", "validation failed");
  const proofRoot = lemma[lemma.length - 1]!;
  const fileRoot = hexToBytes(seg.root.slice(2));
  if (!equalBytes(proofRoot, fileRoot)) {
    throw callFailed(`root mismatch, proof_root=${rustBytes(proofRoot)} provided=${rustBytes(fileRoot)}`);
  }
  if (!equalBytes(lemma[0]!, root)) {
    throw callFailed(`data hash mismatch: leaf_hash=${rustBytes(root)} proof_item=${rustBytes(lemma[0]!)}`);
  }
  if (!rearPaddingValid(seg.proof, layout.proofSegments, layout.dataSegments, SEGMENT_TREE_DEPTH)) {
    throw invalidParams("proof", "invalid proof node value in the padding range");
  }
  return root;
}

export function hex(bytes: Uint8Array): string {
  return `0x${bytesToHex(bytes)}`;
}
