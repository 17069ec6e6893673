import { flaiError } from "../errors.js";

/**
 * The fee policy: pure functions from what a chain reports to the fee fields a transaction must
 * carry there. Some chains suggest a priority fee their own mempool refuses: 0G's RPC answers
 * `eth_maxPriorityFeePerGas` with 1 wei while its mempool rejects any tip below 2 gwei. On those
 * chains every transaction gets at least the floor; on every other chain nothing changes.
 */

export const GWEI = 1_000_000_000n;

/** The smallest priority fee each chain's mempool accepts, where it is above what the chain suggests. */
const MIN_PRIORITY_FEE: ReadonlyMap<bigint, bigint> = new Map([
  [16602n, 2n * GWEI], // 0G Galileo testnet
  [16661n, 2n * GWEI], // 0G mainnet
]);

/** What the chain reports right now; `null` where it reports nothing. */
export interface ChainFees {
  /** The latest block's base fee; null on a chain without EIP-1559. */
  baseFeePerGas: bigint | null;
  /** The node's suggested tip (`eth_maxPriorityFeePerGas`). */
  suggestedTip?: bigint | null;
  /** The node's suggested legacy price (`eth_gasPrice`). */
  suggestedGasPrice?: bigint | null;
}

export type Eip1559Fees = { maxFeePerGas: bigint; maxPriorityFeePerGas: bigint };
export type LegacyFees = { gasPrice: bigint };
export type FeeFields = Eip1559Fees | LegacyFees;

/** The chain's minimum priority fee, or undefined when its own suggestions are good enough. */
export function minPriorityFee(chainId: bigint | number): bigint | undefined {
  return MIN_PRIORITY_FEE.get(wei(chainId, "chain id"));
}

/**
 * The fee fields a transaction on this chain must carry, or undefined when the chain has no floor
 * (leave the fields to the wallet). With a base fee: EIP-1559 with tip = max(suggested, floor) and
 * maxFeePerGas = 2 × base fee + tip (ethers' rule: room for the base fee to double). Without: legacy.
 */
export function policyFees(chainId: bigint | number, chain: ChainFees): FeeFields | undefined {
  const floor = minPriorityFee(chainId);
  if (floor === undefined) {
    return undefined;
  }
  const base = optionalWei(chain.baseFeePerGas, "base fee");
  if (base === null) {
    return { gasPrice: legacyPrice(floor, 0n, chain.suggestedGasPrice) };
  }
  const tip = max(optionalWei(chain.suggestedTip, "suggested priority fee") ?? 0n, floor);
  return { maxPriorityFeePerGas: tip, maxFeePerGas: base * 2n + tip };
}

/**
 * The legacy gas price for this chain (what the 0G SDKs send), or undefined when it has no floor.
 * A legacy transaction tips gasPrice − base fee, so the price must be at least base fee + floor.
 */
export function policyGasPrice(chainId: bigint | number, chain: ChainFees): bigint | undefined {
  const floor = minPriorityFee(chainId);
  if (floor === undefined) {
    return undefined;
  }
  return legacyPrice(floor, optionalWei(chain.baseFeePerGas, "base fee") ?? 0n, chain.suggestedGasPrice);
}

/**
 * The priority fee Ignition should use on this chain (`networks.<n>.ignition.maxPriorityFeePerGas`):
 * a configured one at or above the floor is kept; below it, or unset, the floor. Undefined: no floor,
 * keep whatever is configured.
 */
export function ignitionPriorityFee(chainId: bigint | number, configured: bigint | undefined): bigint | undefined {
  const floor = minPriorityFee(chainId);
  if (floor === undefined) {
    return configured;
  }
  return max(optionalWei(configured, "ignition.maxPriorityFeePerGas") ?? 0n, floor);
}

function legacyPrice(floor: bigint, base: bigint, suggested: bigint | null | undefined): bigint {
  return max(optionalWei(suggested, "suggested gas price") ?? 0n, base + floor);
}

function optionalWei(value: bigint | null | undefined, what: string): bigint | null {
  return value === null || value === undefined ? null : wei(value, what);
}

function wei(value: bigint | number, what: string): bigint {
  if (typeof value === "number" && !Number.isSafeInteger(value)) {
    throw flaiError(`The ${what} must be a whole number, got ${value}.`);
  }
  const n = BigInt(value);
  if (n < 0n) {
    throw flaiError(`The ${what} cannot be negative, got ${n}.`);
  }
  return n;
}

const max = (a: bigint, b: bigint) => (a > b ? a : b);
