import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";

import { MemData, computePaddedSize } from "@0gfoundation/0g-ts-sdk";
import { expect } from "chai";
import { HardhatPluginError } from "hardhat/plugins";

import { sdkFileRoot } from "../../src/storage/sdk-root.js";
import { CHUNK_SIZE, computeFileRoot, computeRoot, paddedChunkCount, paddedSize } from "../../src/storage/merkle.js";
import { seededBytes, writeSeededFile } from "../../src/util/prng.js";
import { quietly } from "../../src/util/sdk-console.js";

import { expectFlaiError } from "../helpers/assert.js";

async function sdkMemRoot(bytes: Uint8Array): Promise<string> {
  return quietly(async () => {
    const [tree, err] = await new MemData(bytes).merkleTree();
    if (err !== null || tree === null) throw new Error(`SDK merkleTree failed: ${String(err)}`);
    return tree.rootHash()!;
  });
}

const KiB = 1024;
const MiB = 1024 * KiB;
const SIZES = [1, 256, 257, 256 * KiB, 256 * KiB + 1, MiB + 3, 4 * MiB + 1];

describe("storage/merkle", function () {
  this.timeout(120_000);
  let dir: string;

  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "flai-merkle-"));
  });

  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("gives the known root of the 17-byte file 'hello 0g storage\\n'", async () => {
    const bytes = new TextEncoder().encode("hello 0g storage\n");
    const file = path.join(dir, "hello.txt");
    await writeFile(file, bytes);
    for (const root of [computeRoot(bytes), await computeFileRoot(file), await sdkFileRoot(file)]) {
      expect(root).to.match(/^0xbe0e21bf[0-9a-f]{52}7ad9$/);
    }
  });

  for (const [i, size] of SIZES.entries()) {
    it(`matches the SDK for ${size} bytes`, async () => {
      const file = path.join(dir, `data-${size}.bin`);
      const bytes = await writeSeededFile(file, size, 0x9e3779b9 + i);
      const expected = await sdkFileRoot(file);
      expect(computeRoot(bytes)).to.equal(expected);
      expect(await computeFileRoot(file)).to.equal(expected);
      // MemData copies on every read and is slow; the small sizes are enough to cover its path.
      if (size <= 256 * KiB + 1) expect(await sdkMemRoot(bytes)).to.equal(expected);
    });
  }

  it("pads chunk counts exactly like the SDK", () => {
    for (let chunks = 1; chunks <= 70_000; chunks++) {
      const [padded] = computePaddedSize(chunks);
      if (paddedChunkCount(chunks) !== padded) expect.fail(`chunks=${chunks}: ${paddedChunkCount(chunks)} != ${padded}`);
    }
    expect(paddedSize(1)).to.equal(CHUNK_SIZE);
    expect(paddedSize(1025 * CHUNK_SIZE)).to.equal(1152 * CHUNK_SIZE);
  });

  it("depends on every data byte but not on the length (trailing zeros vanish in the padding)", () => {
    const base = seededBytes(1000, 7);
    const flipped = base.slice();
    flipped[999]! ^= 1;
    expect(computeRoot(flipped)).to.not.equal(computeRoot(base));
    // The root commits to the padded stream, so an explicit trailing zero byte gives the same root.
    // (The length is committed separately, in the on-chain submission.)
    const withZero = new Uint8Array(1001);
    withZero.set(base);
    expect(computeRoot(withZero)).to.equal(computeRoot(base));
  });

  it("refuses empty data and names the file", async () => {
    expect(() => computeRoot(new Uint8Array(0))).to.throw(HardhatPluginError, /empty/);
    const empty = path.join(dir, "empty.bin");
    await writeFile(empty, new Uint8Array(0));
    await expectFlaiError(() => computeFileRoot(empty), empty, "empty");
  });

  it("names a missing or unreadable file", async () => {
    const missing = path.join(dir, "nope.bin");
    await expectFlaiError(() => computeFileRoot(missing), missing, "does not exist");
    await expectFlaiError(() => computeFileRoot(dir), dir, "directory");
  });
});
