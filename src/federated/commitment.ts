import { AbiCoder } from "ethers/abi";
import { getAddress } from "ethers/address";
import { keccak256 } from "ethers/crypto";
import { concat } from "ethers/utils";

import { flaiError } from "../errors.js";

export interface CommitmentEntry {
  client: string;
  /** bytes32 hash of the client's accepted update. */
  updateHash: string;
  weight: bigint;
}

export interface CommitmentLeaf {
  /** Checksummed. */
  client: string;
  /** Lowercase 0x-hex bytes32. */
  updateHash: string;
  weight: bigint;
  /** Sum of the weights of the leaves before this one: the leaf's slice of the reward pool starts here. */
  cumulativeWeightBefore: bigint;
  /** The leaf hash the contract recomputes. */
  hash: string;
}

export interface Commitment {
  root: string;
  leaves: CommitmentLeaf[];
  totalWeight: bigint;
  /** Sibling hashes from the leaf up, as OpenZeppelin's MerkleProof.verify takes them. */
  proof(index: number): string[];
  /** The index of `client`'s leaf (any address spelling), or -1 when it has none: a lookup, not a scan, so claims stay O(log n). */
  leafIndex(client: string): number;
}

const UINT64_MAX = (1n << 64n) - 1n;
const BYTES32 = /^0x[0-9a-fA-F]{64}$/;

/**
 * leaf = keccak256(bytes.concat(keccak256(abi.encode(address client, bytes32 updateHash,
 * uint64 weight, uint64 cumulativeWeightBefore)))). Hashing twice, as OpenZeppelin recommends,
 * keeps a leaf's 32-byte preimage from ever being mistaken for a 64-byte internal node.
 */
export function commitmentLeafHash(leaf: Omit<CommitmentLeaf, "hash">): string {
  const encoded = AbiCoder.defaultAbiCoder().encode(
    ["address", "bytes32", "uint64", "uint64"],
    [leaf.client, leaf.updateHash, leaf.weight, leaf.cumulativeWeightBefore],
  );
  return keccak256(keccak256(encoded));
}

/**
 * Merkle tree over `entries` in the given order, which must be by client address ascending (no
 * repeats: one claim per client). Pairs are hashed sorted, as OpenZeppelin's commutative hash, so
 * proofs need no left/right bits; an odd node is carried up unchanged.
 */
export function buildCommitment(entries: readonly CommitmentEntry[]): Commitment {
  if (entries.length === 0) throw flaiError("There are no accepted updates to commit to; a round needs at least one.");
  const leaves: CommitmentLeaf[] = [];
  let cumulative = 0n;
  let previous = -1n;
  entries.forEach((entry, i) => {
    const client = readAddress(entry.client, `entries[${i}].client`);
    const asNumber = BigInt(client);
    if (asNumber <= previous) {
      throw flaiError(
        `Commitment entries must be sorted by client address ascending with no repeats, but entries[${i}] ` +
          `(${client}) ${asNumber === previous ? "repeats" : "comes before"} entries[${i - 1}] (${leaves[i - 1]!.client}). Sort them first.`,
      );
    }
    previous = asNumber;
    const updateHash = readBytes32(entry.updateHash, `entries[${i}].updateHash`);
    const weight = entry.weight;
    if (typeof weight !== "bigint" || weight <= 0n || weight > UINT64_MAX) {
      throw flaiError(`entries[${i}].weight (${client}) is ${String(weight)}; it must be a bigint in [1, 2^64 − 1].`);
    }
    const leaf = { client, updateHash, weight, cumulativeWeightBefore: cumulative };
    leaves.push({ ...leaf, hash: commitmentLeafHash(leaf) });
    cumulative += weight;
    if (cumulative > UINT64_MAX) {
      throw flaiError(`The total weight exceeds uint64 at entries[${i}] (${client}); the contract stores weights as uint64.`);
    }
  });

  const levels: string[][] = [leaves.map((l) => l.hash)];
  while (levels[levels.length - 1]!.length > 1) {
    const below = levels[levels.length - 1]!;
    const level: string[] = [];
    for (let i = 0; i < below.length; i += 2) level.push(i + 1 < below.length ? hashPair(below[i]!, below[i + 1]!) : below[i]!);
    levels.push(level);
  }

  const indexByClient = new Map(leaves.map((leaf, i) => [leaf.client.toLowerCase(), i]));
  return {
    root: levels[levels.length - 1]![0]!,
    leaves,
    totalWeight: cumulative,
    leafIndex: (client: string) => indexByClient.get(client.toLowerCase()) ?? -1,
    proof(index: number): string[] {
      if (!(Number.isInteger(index) && index >= 0 && index < leaves.length)) {
        throw flaiError(`No commitment leaf ${index}: there are ${leaves.length} (indices 0 to ${leaves.length - 1}).`);
      }
      const proof: string[] = [];
      let i = index;
      for (const level of levels.slice(0, -1)) {
        const sibling = i ^ 1;
        if (sibling < level.length) proof.push(level[sibling]!);
        i >>= 1;
      }
      return proof;
    },
  };
}

/**
 * Commitments already rebuilt from a round report and found to have the root the chain stores,
 * by that root: every claim of a round reuses one tree instead of re-reading the report and
 * rehashing every leaf (which made n claims cost n² leaf hashes). An entry is only ever stored
 * under its own computed root, so it cannot go stale or disagree with the chain: a different
 * round result has a different root. Bounded, least recently used first out.
 */
export class CommitmentCache {
  readonly #byRoot = new Map<string, Commitment>();

  constructor(readonly capacity = 64) {}

  get(root: string): Commitment | undefined {
    const key = root.toLowerCase();
    const hit = this.#byRoot.get(key);
    if (hit !== undefined) {
      // Map keeps insertion order: re-inserting marks it most recently used.
      this.#byRoot.delete(key);
      this.#byRoot.set(key, hit);
    }
    return hit;
  }

  /** Keeps `commitment` when its root is `root` (the one on-chain) and says whether it was. */
  remember(root: string, commitment: Commitment): boolean {
    const key = root.toLowerCase();
    if (commitment.root !== key) return false;
    this.#byRoot.delete(key);
    this.#byRoot.set(key, commitment);
    while (this.#byRoot.size > this.capacity) this.#byRoot.delete(this.#byRoot.keys().next().value!);
    return true;
  }

  get size(): number {
    return this.#byRoot.size;
  }
}

/** Recomputes the root from a leaf's fields and its proof, as the contract's claim does. */
export function verifyCommitmentProof(
  root: string,
  leaf: { client: string; updateHash: string; weight: bigint; cumulativeWeightBefore: bigint },
  proof: readonly string[],
): boolean {
  const fields = {
    client: readAddress(leaf.client, "leaf.client"),
    updateHash: readBytes32(leaf.updateHash, "leaf.updateHash"),
    weight: leaf.weight,
    cumulativeWeightBefore: leaf.cumulativeWeightBefore,
  };
  if (
    fields.weight < 0n ||
    fields.weight > UINT64_MAX ||
    fields.cumulativeWeightBefore < 0n ||
    fields.cumulativeWeightBefore > UINT64_MAX
  ) {
    return false;
  }
  let hash = commitmentLeafHash(fields);
  proof.forEach((sibling, i) => {
    hash = hashPair(hash, readBytes32(sibling, `proof[${i}]`));
  });
  return hash === readBytes32(root, "root");
}

/**
 * A leaf's share of `roundPool`: floor(pool·(cum + w)/total) − floor(pool·cum/total). The floors
 * telescope, so the shares of all leaves add up to exactly the pool with no dust left over.
 */
export function rewardShare(roundPool: bigint, weight: bigint, cumBefore: bigint, total: bigint): bigint {
  if (roundPool < 0n || weight < 0n || cumBefore < 0n || total <= 0n || cumBefore + weight > total) {
    throw flaiError(
      `rewardShare: need pool ≥ 0, weight ≥ 0, cumulativeWeightBefore ≥ 0 and cumulativeWeightBefore + weight ≤ total > 0; ` +
        `got pool ${roundPool}, weight ${weight}, cumulativeWeightBefore ${cumBefore}, total ${total}.`,
    );
  }
  return (roundPool * (cumBefore + weight)) / total - (roundPool * cumBefore) / total;
}

function hashPair(a: string, b: string): string {
  return a < b ? keccak256(concat([a, b])) : keccak256(concat([b, a]));
}

function readAddress(value: string, what: string): string {
  try {
    return getAddress(value);
  } catch {
    throw flaiError(
      `${what} must be a 0x-prefixed 20-byte address (if mixed-case, with a valid EIP-55 checksum), got ${JSON.stringify(value)}.`,
    );
  }
}

function readBytes32(value: string, what: string): string {
  if (typeof value !== "string" || !BYTES32.test(value)) {
    throw flaiError(`${what} must be 0x + 64 hex digits (bytes32), got ${JSON.stringify(value)}.`);
  }
  return value.toLowerCase();
}
