import type { NetworkConnection } from "hardhat/types/network";

import { FeeData, JsonRpcProvider, type Provider } from "ethers";

import { ignitionPriorityFee, minPriorityFee, policyFees, policyGasPrice, type ChainFees, type FeeFields } from "./fees.js";

/**
 * Where the fee policy (fees.ts) meets the chain: each sending path reads the chain here and gets
 * fields it may pass on. On chains without a floor these return nothing and send no extra request
 * beyond the chain id, so the wallet's own defaults stay in force.
 */

/** A provider that takes raw JSON-RPC calls (ethers' JsonRpcProvider, Hardhat's ethers provider). */
interface RpcSender {
  send(method: string, params: unknown[]): Promise<unknown>;
}

const sendsRpc = (provider: Provider): provider is Provider & RpcSender => typeof (provider as Partial<RpcSender>).send === "function";

/** ethers' and Hardhat's getFeeData give a chain with a base fee whose node suggests no tip 1 gwei. */
const DEFAULT_TIP = 1_000_000_000n;

/**
 * What the chain suggests now. The latest block, eth_gasPrice and eth_maxPriorityFeePerGas are asked
 * at once: one round trip. getFeeData asks them one after the other (Hardhat's: gas price, then the
 * block, then the tip) and reads the block a second time besides the one the base fee comes from —
 * on Galileo, three round trips before every transaction. The figures are the ones getFeeData gives.
 */
async function chainFees(provider: Provider): Promise<ChainFees> {
  if (!sendsRpc(provider)) {
    const [block, data] = await Promise.all([provider.getBlock("latest"), provider.getFeeData()]);
    return { baseFeePerGas: block?.baseFeePerGas ?? null, suggestedTip: data.maxPriorityFeePerGas, suggestedGasPrice: data.gasPrice };
  }
  const [block, gasPrice, tip] = await Promise.all([
    provider.getBlock("latest"),
    quantityOrNull(provider, "eth_gasPrice"),
    quantityOrNull(provider, "eth_maxPriorityFeePerGas"),
  ]);
  const baseFeePerGas = block?.baseFeePerGas ?? null;
  return { baseFeePerGas, suggestedTip: baseFeePerGas === null ? null : (tip ?? DEFAULT_TIP), suggestedGasPrice: gasPrice };
}

/** A quantity the node returns, or null when it does not support the method (as getFeeData treats it). */
async function quantityOrNull(provider: RpcSender, method: string): Promise<bigint | null> {
  try {
    const value = await provider.send(method, []);
    return typeof value === "string" || typeof value === "bigint" || typeof value === "number" ? BigInt(value) : null;
  } catch {
    return null;
  }
}

const chainIds = new WeakMap<Provider, Promise<bigint>>();

/** A provider stays on one chain: asked once (Hardhat's ethers provider would ask on every call). */
function chainIdOf(provider: Provider): Promise<bigint> {
  let pending = chainIds.get(provider);
  if (pending === undefined) {
    pending = provider.getNetwork().then((n) => n.chainId);
    chainIds.set(provider, pending);
    pending.catch(() => chainIds.delete(provider));
  }
  return pending;
}

/** Overrides for an ethers contract call: the policy's fee fields, or none when the chain has no floor. */
export async function feeOverrides(provider: Provider | null | undefined): Promise<FeeFields | Record<string, never>> {
  if (provider === null || provider === undefined) {
    return {};
  }
  const chainId = await chainIdOf(provider);
  if (minPriorityFee(chainId) === undefined) {
    return {};
  }
  return policyFees(chainId, await chainFees(provider)) ?? {};
}

/** The legacy gas price to hand an SDK that sends legacy transactions, or undefined to let it choose. */
export async function legacyGasPrice(provider: Provider | null | undefined): Promise<bigint | undefined> {
  if (provider === null || provider === undefined) {
    return undefined;
  }
  const chainId = await chainIdOf(provider);
  if (minPriorityFee(chainId) === undefined) {
    return undefined;
  }
  return policyGasPrice(chainId, await chainFees(provider));
}

/**
 * The gas price to hand the 0G compute SDK on each call that sends. Given none, the SDK's sendTx reads
 * `provider.getFeeData().gasPrice` itself and then sleeps 1 s before every transaction; given this — the
 * same figure from the same provider (a FeePolicyProvider, so the chain's fee floor applies), read now,
 * so never stale — it sends at once. Undefined (the SDK's own path) when the provider suggests no price
 * or the price does not fit the SDK's `number` parameter.
 */
export async function sdkGasPrice(provider: Provider | null | undefined): Promise<number | undefined> {
  const price = provider === null || provider === undefined ? null : (await provider.getFeeData()).gasPrice;
  if (price === null || price > BigInt(Number.MAX_SAFE_INTEGER)) {
    return undefined;
  }
  return Number(price);
}

/**
 * A JSON-RPC provider whose fee suggestions already follow the policy. For code that only asks
 * `provider.getFeeData()` and cannot be given fees per call: the 0G compute SDK (legacy `gasPrice`
 * from it, on every transaction including the ones it sends on its own, like auto-funding) and an
 * ethers Wallet filling in EIP-1559 fields.
 */
export class FeePolicyProvider extends JsonRpcProvider {
  override async getFeeData(): Promise<FeeData> {
    const [suggested, { chainId }] = await Promise.all([super.getFeeData(), this.getNetwork()]);
    if (minPriorityFee(chainId) === undefined) {
      return suggested;
    }
    const block = await this.getBlock("latest");
    const chain: ChainFees = {
      baseFeePerGas: block?.baseFeePerGas ?? null,
      suggestedTip: suggested.maxPriorityFeePerGas,
      suggestedGasPrice: suggested.gasPrice,
    };
    const fees = policyFees(chainId, chain);
    const gasPrice = policyGasPrice(chainId, chain) ?? null;
    return fees !== undefined && "maxFeePerGas" in fees
      ? new FeeData(gasPrice, fees.maxFeePerGas, fees.maxPriorityFeePerGas)
      : new FeeData(gasPrice, null, null);
  }
}

/**
 * Ignition takes its priority fee only from `networks.<n>.ignition.maxPriorityFeePerGas` and otherwise
 * asks `eth_maxPriorityFeePerGas`. The config hook sets it for networks that declare a 0G chain id;
 * this covers a network that does not declare one, once the chain has said which it is. Raising it on
 * the network's config is right for every later connection too: it is the same chain.
 */
export async function applyIgnitionFeePolicy(connection: NetworkConnection<string>, knownChainId?: bigint): Promise<void> {
  const chainId = knownChainId ?? BigInt((await connection.provider.request({ method: "eth_chainId" })) as string);
  const ignition = connection.networkConfig.ignition;
  const tip = ignitionPriorityFee(chainId, ignition.maxPriorityFeePerGas);
  if (tip !== ignition.maxPriorityFeePerGas) {
    ignition.maxPriorityFeePerGas = tip;
  }
}
