import path from "node:path";

import type { EIP1193Provider } from "hardhat/types/providers";

import { devnetDir } from "../paths.js";

/**
 * Where `flai:devnet` keeps what must outlive it, per chain *history* rather than per chain id:
 *
 *   .flai/devnet/chain-<id>-<block 1 hash, 12 hex>/compute.json           the serving contracts, for market tasks
 *   .flai/devnet/chain-<id>-<block 1 hash, 12 hex>/storage-<Flow address>/ the storage node's data
 *
 * Every `hardhat node` starts at chain 31337 with the same genesis block, so neither the chain id
 * nor the genesis hash tells a restarted node (or a second node) from the one before; block 1
 * carries the time it was mined and does. The Flow address separates a Flow redeployed on the same
 * history. So a restarted node gets a fresh folder instead of one synced with a chain that is gone,
 * and two devnets beside two nodes never share one.
 */
export async function chainHistoryKey(provider: EIP1193Provider): Promise<string> {
  const chainId = BigInt((await provider.request({ method: "eth_chainId" })) as string);
  // A chain that mined nothing yet has no history to tell apart: its genesis stands in.
  const block =
    ((await provider.request({ method: "eth_getBlockByNumber", params: ["0x1", false] })) as { hash: string } | null) ??
    ((await provider.request({ method: "eth_getBlockByNumber", params: ["0x0", false] })) as { hash: string });
  return `chain-${chainId}-${block.hash.slice(2, 14).toLowerCase()}`;
}

export function devnetStateDir(projectRoot: string, historyKey: string): string {
  return devnetDir(projectRoot, historyKey);
}

/** Where `flai:devnet` records the compute stand-in's contracts for other commands on that chain. */
export function computeDevnetRecord(projectRoot: string, historyKey: string): string {
  return path.join(devnetStateDir(projectRoot, historyKey), "compute.json");
}

/** The storage node's folder: one per Flow deployment on that history. */
export function storageNodeDir(projectRoot: string, historyKey: string, flowAddress: string): string {
  return path.join(devnetStateDir(projectRoot, historyKey), `storage-${flowAddress.toLowerCase()}`);
}
