import { open } from "node:fs/promises";

import { MerkleTree, type ZgFile } from "#0g-storage-sdk";
import { bytesToHex } from "@noble/hashes/utils.js";

import { flaiError } from "../errors.js";
import {
  BLOCK_SEGMENTS,
  HASH_SIZE,
  SEGMENT_SIZE,
  SegmentHasher,
  blockBytes,
  blockRange,
  ceilDiv,
  fastHashInto,
  foldRoots,
  segmentCount,
} from "./merkle-segments.js";
import type { Root } from "./types.js";

/** A file's segment roots (32 bytes each, in order, padding segments included) and its 0G root. */
export interface SegmentRoots {
  root: Root;
  roots: Uint8Array;
}

/**
 * The segment roots of the file at `path` with the WebAssembly keccak, one 2 MiB block at a time,
 * and the root folded from them: the leaves the SDK's Merkle tree is built on, computed once.
 */
export async function segmentRootsOf(path: string): Promise<SegmentRoots> {
  const handle = await open(path, "r");
  try {
    const { size } = await handle.stat();
    if (size === 0) throw flaiError(`Cannot upload ${path}: it is empty, and 0G storage has no identity for empty files.`);
    const hash = await fastHashInto();
    const segments = segmentCount(size);
    const roots = new Uint8Array(segments * HASH_SIZE);
    const hasher = new SegmentHasher(hash, size);
    const buffer = new Uint8Array(BLOCK_SEGMENTS * SEGMENT_SIZE);
    for (let block = 0; block < ceilDiv(segments, BLOCK_SEGMENTS); block++) {
      const { first, count } = blockRange(block, segments);
      const { start, length } = blockBytes(block, segments, size);
      for (let got = 0; got < length;) {
        const { bytesRead } = await handle.read(buffer, got, length - got, start + got);
        if (bytesRead === 0) throw flaiError(`${path} shrank while it was being hashed; upload it again once nothing writes to it.`);
        got += bytesRead;
      }
      hasher.roots(first, count, buffer.subarray(0, length), roots, first * HASH_SIZE);
    }
    const root = `0x${bytesToHex(foldRoots(hash, roots.slice()))}` as Root;
    return { root, roots };
  } finally {
    await handle.close();
  }
}

function hexAt(roots: Uint8Array, index: number): string {
  return `0x${bytesToHex(roots.subarray(index * HASH_SIZE, (index + 1) * HASH_SIZE))}`;
}

/**
 * Hands the SDK's file the segment roots computed above, through the two methods it builds them in
 * (AbstractFile.merkleTree and createSegmentNode): otherwise SDK 1.2.8 hashes every chunk of the file
 * twice in pure-JS keccak (~3.7 s each for 64 MiB). The SDK still builds its own MerkleTree object
 * from these leaves (its proofs come from it), and the root it reports is checked against ours.
 * Submission nodes smaller than a segment (the file's tail) are left to the SDK: they cover less
 * than one segment in all.
 */
export function withSegmentRoots(file: ZgFile, { roots }: SegmentRoots): ZgFile {
  const count = roots.length / HASH_SIZE;
  file.merkleTree = async () => {
    const tree = new MerkleTree();
    for (let i = 0; i < count; i++) tree.addLeafByHash(hexAt(roots, i));
    return [tree.build(), null];
  };
  const sdkSegmentNode = file.createSegmentNode.bind(file);
  file.createSegmentNode = async (offset, batch, size) => {
    // A node of whole segments starts on a segment boundary (nodes come in descending powers of two).
    if (size < SEGMENT_SIZE || offset % SEGMENT_SIZE !== 0 || size % SEGMENT_SIZE !== 0) return sdkSegmentNode(offset, batch, size);
    const first = offset / SEGMENT_SIZE;
    const nodeRoots = roots.slice(first * HASH_SIZE, (first + size / SEGMENT_SIZE) * HASH_SIZE);
    const root = `0x${bytesToHex(foldRoots(await fastHashInto(), nodeRoots))}`;
    return [{ height: Math.log2(size / 256), root }, null];
  };
  return file;
}
