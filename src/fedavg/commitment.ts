import { AbiCoder, concat, getAddress, keccak256 } from "ethers";

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

  return {
    root: levels[levels.length - 1]![0]!,
    leaves,
    totalWeight: cumulative,
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
  if (fields.weight < 0n || fields.weight > UINT64_MAX || fields.cumulativeWeightBefore < 0n || fields.cumulativeWeightBefore > UINT64_MAX) {
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
    throw flaiError(`${what} must be a 0x-prefixed 20-byte address (if mixed-case, with a valid EIP-55 checksum), got ${JSON.stringify(value)}.`);
  }
}

function readBytes32(value: string, what: string): string {
  if (typeof value !== "string" || !BYTES32.test(value)) {
    throw flaiError(`${what} must be 0x + 64 hex digits (bytes32), got ${JSON.stringify(value)}.`);
  }
  return value.toLowerCase();
}
