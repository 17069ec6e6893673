import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";

import { keccak_256 } from "@noble/hashes/sha3.js";
import { bytesToHex } from "@noble/hashes/utils.js";
import { expect } from "chai";

import { computeFileRoot, computeRoot, fileRoot } from "../../src/storage/merkle.js";
import { bytesRoot, fastHashInto, nobleHashInto, wasmKeccakLoaded } from "../../src/storage/merkle-segments.js";
import { writeSeededFile } from "../../src/util/prng.js";

/**
 * The fast paths (WebAssembly keccak, blocks hashed by worker threads) against a plain reference
 * written straight from the 0G Merkle rules (shared/notes/0g-storage-local-devnet.md), one keccak
 * call per node and nothing reused. test/storage/merkle.test.ts checks the rules against the SDK.
 */

const CHUNK = 256;
const SEGMENT = 1024 * CHUNK;

/** Padded chunk count: a power of two stays, else round up to a multiple of max(1, nextPow2/16). */
function referencePaddedChunks(chunks: number): number {
  let pow2 = 1;
  while (pow2 < chunks) pow2 *= 2;
  if (pow2 === chunks) return chunks;
  const unit = Math.max(1, Math.floor(pow2 / 16));
  return Math.ceil(chunks / unit) * unit;
}

/** node = keccak256(left ‖ right); an odd last node is carried up unchanged. */
function referenceTree(leaves: Uint8Array[]): Uint8Array {
  let level = leaves;
  while (level.length > 1) {
    const next: Uint8Array[] = [];
    for (let i = 0; i + 1 < level.length; i += 2) {
      const pair = new Uint8Array(64);
      pair.set(level[i]!, 0);
      pair.set(level[i + 1]!, 32);
      next.push(keccak_256(pair));
    }
    if (level.length % 2 === 1) next.push(level[level.length - 1]!);
    level = next;
  }
  return level[0]!;
}

/** Segment roots over the zero-padded stream (leaf = keccak256(chunk)), then the same tree over them. */
function referenceRoot(data: Uint8Array): string {
  const padded = new Uint8Array(referencePaddedChunks(Math.ceil(data.length / CHUNK)) * CHUNK);
  padded.set(data);
  const segmentRoots: Uint8Array[] = [];
  for (let s = 0; s < padded.length; s += SEGMENT) {
    const segment = padded.subarray(s, Math.min(s + SEGMENT, padded.length));
    const leaves: Uint8Array[] = [];
    for (let c = 0; c < segment.length; c += CHUNK) leaves.push(keccak_256(segment.subarray(c, c + CHUNK)));
    segmentRoots.push(referenceTree(leaves));
  }
  return "0x" + bytesToHex(referenceTree(segmentRoots));
}

const KiB = 1024;
const MiB = 1024 * KiB;
const CASES: [string, number][] = [
  ["1 byte", 1],
  ["exactly one chunk", CHUNK],
  ["one segment", SEGMENT],
  ["one segment + 1 byte", SEGMENT + 1],
  ["3 segments", 3 * SEGMENT],
  ["5 segments + 123 bytes", 5 * SEGMENT + 123],
  ["19 segments + 7 bytes", 19 * SEGMENT + 7],
  // 16385 chunks pad to 18432: 18 segments, the last one padding only.
  ["16 segments + 1 byte (the last segment is padding only)", 16 * SEGMENT + 1],
];
// 40 MiB + 12345 bytes: 163889 chunks padded to 180224 (176 segments, the last 15 padding only),
// 22 blocks of 8 segments; large enough that worker threads start in time to hash some of them.
const LARGE = 40 * MiB + 12_345;

describe("storage/merkle fast paths", function () {
  this.timeout(300_000);
  let dir: string;

  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "flai-merkle-fast-"));
    await fastHashInto();
  });

  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("loads the WebAssembly keccak", () => {
    expect(wasmKeccakLoaded()).to.equal(true);
  });

  for (const [i, [name, size]] of CASES.entries()) {
    it(`matches the reference for ${name} (${size} bytes): in memory, from a file, both hashers`, async () => {
      const file = path.join(dir, `case-${i}.bin`);
      const bytes = await writeSeededFile(file, size, 0xc0ffee + i);
      const expected = referenceRoot(bytes);
      expect(computeRoot(bytes)).to.equal(expected);
      expect("0x" + bytesToHex(bytesRoot(await fastHashInto(), bytes))).to.equal(expected);
      expect("0x" + bytesToHex(bytesRoot(nobleHashInto(), bytes))).to.equal(expected);
      expect(await computeFileRoot(file)).to.equal(expected);
      // More workers than blocks: the extra ones find nothing to take.
      expect(await computeFileRoot(file, { workers: 2 })).to.equal(expected);
    });
  }

  it(`matches the reference for ${LARGE} bytes hashed by worker threads and by this thread alone`, async () => {
    const file = path.join(dir, "large.bin");
    const bytes = await writeSeededFile(file, LARGE, 0x5eed);
    const expected = referenceRoot(bytes);

    expect(await fileRoot(file, { workers: 0 })).to.deep.equal({ root: expected, blocks: 22, workerBlocks: 0 });
    // Every block left to the workers: proves they run and hash right (a worker that failed would
    // leave its blocks to this thread, and workerBlocks would fall short).
    expect(await fileRoot(file, { workers: 2 }, { callerTakesBlocks: false })).to.deep.equal({
      root: expected,
      blocks: 22,
      workerBlocks: 22,
    });
    // This thread and the workers taking blocks as they come (how computeFileRoot runs).
    for (const workers of [1, 3]) expect((await fileRoot(file, { workers })).root, `${workers} worker(s)`).to.equal(expected);
    // The default (workers only where CPUs allow) gives the same root.
    expect(await computeFileRoot(file)).to.equal(expected);
    expect(computeRoot(bytes)).to.equal(expected);
  });
});
