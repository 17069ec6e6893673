import { keccak_256 } from "@noble/hashes/sha3.js";
import { expect } from "chai";

import {
  buildCommitment,
  CommitmentCache,
  rewardShare,
  verifyCommitmentProof,
  type CommitmentEntry,
} from "../../src/federated/commitment.js";
import { mulberry32 } from "../../src/util/prng.js";

import { expectFlaiError } from "../helpers/assert.js";

/** `count` entries with ascending client addresses and pseudo-random hashes and weights. */
function entries(count: number, seed = 1): CommitmentEntry[] {
  const rand = mulberry32(seed);
  const hex = (bytes: number) =>
    Array.from({ length: bytes }, () =>
      Math.floor(rand() * 256)
        .toString(16)
        .padStart(2, "0"),
    ).join("");
  const clients = Array.from({ length: count }, () => "0x" + hex(20)).sort();
  return clients.map((client) => ({ client, updateHash: "0x" + hex(32), weight: BigInt(1 + Math.floor(rand() * 100_000)) }));
}

// An independent keccak/ABI implementation, so the ethers-based one is checked against the spec.
const bytes = (hex: string) => Buffer.from(hex.slice(2), "hex");
const word = (n: bigint) => Buffer.from(n.toString(16).padStart(64, "0"), "hex");
const keccak = (data: Uint8Array) => "0x" + Buffer.from(keccak_256(data)).toString("hex");
function leafHash(client: string, updateHash: string, weight: bigint, before: bigint): string {
  const encoded = Buffer.concat([word(BigInt(client)), bytes(updateHash), word(weight), word(before)]);
  return keccak(keccak_256(encoded));
}
function node(a: string, b: string): string {
  const [lo, hi] = a < b ? [a, b] : [b, a];
  return keccak(Buffer.concat([bytes(lo), bytes(hi)]));
}

describe("fedavg/commitment", () => {
  it("hashes leaves as keccak256(keccak256(abi.encode(client, updateHash, weight, cumulativeWeightBefore)))", () => {
    const list = entries(4);
    const c = buildCommitment(list);
    let before = 0n;
    c.leaves.forEach((leaf, i) => {
      expect(leaf.cumulativeWeightBefore).to.equal(before);
      expect(leaf.hash).to.equal(leafHash(list[i]!.client, list[i]!.updateHash, list[i]!.weight, before));
      before += list[i]!.weight;
    });
    expect(c.totalWeight).to.equal(before);
  });

  it("builds the tree with sorted pairs and carries odd nodes up unchanged", () => {
    const list = entries(5, 7);
    const root = (n: number) => buildCommitment(list.slice(0, n)).root; // prefixes share their leaves
    const [a, b, c, d, e] = buildCommitment(list).leaves.map((l) => l.hash);
    expect(root(1)).to.equal(a);
    expect(root(2)).to.equal(node(a!, b!));
    expect(root(3)).to.equal(node(node(a!, b!), c!));
    expect(root(5)).to.equal(node(node(node(a!, b!), node(c!, d!)), e!));
  });

  it("proves every leaf for 1..9 leaves, and rejects a modified leaf, proof or root", () => {
    for (let count = 1; count <= 9; count++) {
      const c = buildCommitment(entries(count, count));
      const depth = Math.ceil(Math.log2(count));
      c.leaves.forEach((leaf, i) => {
        const proof = c.proof(i);
        expect(proof.length).to.be.at.most(depth);
        expect(verifyCommitmentProof(c.root, leaf, proof), `leaf ${i} of ${count}`).to.equal(true);
        expect(verifyCommitmentProof(c.root, { ...leaf, weight: leaf.weight + 1n }, proof)).to.equal(false);
        expect(verifyCommitmentProof(c.root, { ...leaf, cumulativeWeightBefore: leaf.cumulativeWeightBefore + 1n }, proof)).to.equal(false);
        const otherHash = "0x" + (BigInt(leaf.updateHash) ^ 1n).toString(16).padStart(64, "0");
        expect(verifyCommitmentProof(c.root, { ...leaf, updateHash: otherHash }, proof)).to.equal(false);
        if (count > 1) {
          const other = c.leaves[(i + 1) % count]!;
          expect(verifyCommitmentProof(c.root, { ...leaf, client: other.client }, proof)).to.equal(false);
          const badProof = [...proof];
          badProof[0] = "0x" + "00".repeat(32);
          expect(verifyCommitmentProof(c.root, leaf, badProof)).to.equal(false);
          expect(verifyCommitmentProof(c.root, leaf, proof.slice(1))).to.equal(false);
        }
        expect(verifyCommitmentProof("0x" + "11".repeat(32), leaf, proof)).to.equal(false);
      });
    }
  });

  it("reward shares add up to exactly the pool for random weights and pools", () => {
    const rand = mulberry32(99);
    for (let trial = 0; trial < 200; trial++) {
      const count = 1 + Math.floor(rand() * 12);
      const list = entries(count, trial).map((e) => ({ ...e, weight: BigInt(1 + Math.floor(rand() * 2 ** 32)) }));
      const c = buildCommitment(list);
      const pool = BigInt(Math.floor(rand() * 2 ** 53)) * 10n ** BigInt(Math.floor(rand() * 12)) + BigInt(trial);
      let paid = 0n;
      for (const leaf of c.leaves) {
        const share = rewardShare(pool, leaf.weight, leaf.cumulativeWeightBefore, c.totalWeight);
        // Within one unit of the exact proportional share.
        expect(share * c.totalWeight <= pool * leaf.weight + c.totalWeight).to.equal(true);
        expect(share * c.totalWeight >= pool * leaf.weight - c.totalWeight).to.equal(true);
        paid += share;
      }
      expect(paid).to.equal(pool);
    }
  });

  it("finds a client's leaf by address in any spelling, and -1 for an address with no leaf", () => {
    const list = entries(9, 3);
    const c = buildCommitment(list);
    c.leaves.forEach((leaf, i) => {
      expect(c.leafIndex(leaf.client)).to.equal(i);
      expect(c.leafIndex(leaf.client.toLowerCase())).to.equal(i);
    });
    expect(c.leafIndex("0x" + "00".repeat(20))).to.equal(-1);
  });

  it("a commitment cache keeps a tree only under its own root, and drops the least recently used first", () => {
    const cache = new CommitmentCache(2);
    const [a, b, c] = [1, 2, 3].map((seed) => buildCommitment(entries(3, seed)));
    // A tree offered under another root (a report that does not match the chain) is not kept.
    expect(cache.remember(b!.root, a!)).to.equal(false);
    expect(cache.get(b!.root)).to.equal(undefined);
    expect(cache.size).to.equal(0);
    expect(cache.remember(a!.root.toUpperCase().replace("0X", "0x"), a!)).to.equal(true);
    expect(cache.get(a!.root)).to.equal(a);
    expect(cache.remember(b!.root, b!)).to.equal(true);
    expect(cache.get(a!.root)).to.equal(a); // a is now the most recently used
    expect(cache.remember(c!.root, c!)).to.equal(true);
    expect(cache.size).to.equal(2);
    expect(cache.get(b!.root)).to.equal(undefined);
    expect(cache.get(a!.root)).to.equal(a);
    expect(cache.get(c!.root)).to.equal(c);
  });

  it("explains bad entries and arguments", async () => {
    const [a, b] = entries(2);
    await expectFlaiError(() => buildCommitment([]), "no accepted updates");
    await expectFlaiError(() => buildCommitment([b!, a!]), "sorted by client address ascending", "entries[1]");
    await expectFlaiError(() => buildCommitment([a!, { ...b!, client: a!.client }]), "repeats");
    await expectFlaiError(() => buildCommitment([{ ...a!, weight: 0n }]), "entries[0].weight", "[1, 2^64 − 1]");
    await expectFlaiError(() => buildCommitment([{ ...a!, weight: 2n ** 64n }]), "entries[0].weight");
    await expectFlaiError(
      () =>
        buildCommitment([
          { ...a!, weight: 2n ** 63n },
          { ...b!, weight: 2n ** 63n },
        ]),
      "exceeds uint64",
    );
    await expectFlaiError(() => buildCommitment([{ ...a!, client: "0x1234" }]), "entries[0].client");
    await expectFlaiError(() => buildCommitment([{ ...a!, updateHash: "0x12" }]), "entries[0].updateHash", "bytes32");
    await expectFlaiError(() => buildCommitment([a!]).proof(1), "No commitment leaf 1");
    await expectFlaiError(() => rewardShare(100n, 5n, 10n, 12n), "rewardShare");
    await expectFlaiError(() => rewardShare(100n, 1n, 0n, 0n), "rewardShare");
  });
});
