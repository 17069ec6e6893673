import type { HardhatUserConfig, HttpNetworkUserConfig } from "hardhat/types/config";

import { configVariable } from "hardhat/config";

import { ignitionPriorityFee } from "./fees.js";

/** The config variable the presets read the deployer/client key from (keystore or env). */
export const PRIVATE_KEY_VARIABLE = "FLAI_PRIVATE_KEY";

export interface ZeroGChain {
  name: string;
  chainId: number;
  rpcUrl: string;
  explorer: string;
  /** The public 0G Storage indexer of this chain. */
  indexerUrl: string;
}

export const ZEROG_CHAINS = {
  galileo: {
    name: "galileo",
    chainId: 16602,
    rpcUrl: "https://evmrpc-testnet.0g.ai",
    explorer: "https://chainscan-galileo.0g.ai",
    indexerUrl: "https://indexer-storage-testnet-turbo.0g.ai",
  },
  "zerog-mainnet": {
    name: "zerog-mainnet",
    chainId: 16661,
    rpcUrl: "https://evmrpc.0g.ai",
    explorer: "https://chainscan.0g.ai",
    indexerUrl: "https://indexer-storage-turbo.0g.ai",
  },
} as const satisfies Record<string, ZeroGChain>;

export function zeroGNetwork(chain: ZeroGChain): HttpNetworkUserConfig {
  return {
    type: "http",
    chainType: "generic",
    chainId: chain.chainId,
    url: chain.rpcUrl,
    accounts: [configVariable(PRIVATE_KEY_VARIABLE)],
  };
}

/** Adds the 0G networks the user has not defined under the same name; the user's own always win. */
export function withNetworkPresets(config: HardhatUserConfig): HardhatUserConfig {
  if (config.flai?.networkPresets === false) {
    return config;
  }
  const networks = { ...config.networks };
  for (const chain of Object.values(ZEROG_CHAINS)) {
    networks[chain.name] ??= zeroGNetwork(chain);
  }
  return { ...config, networks };
}

/**
 * Every network that declares a chain id with a priority fee floor (the presets, and a user's own
 * network on a 0G chain) gets Ignition's priority fee raised to it: Ignition otherwise takes
 * `eth_maxPriorityFeePerGas`, which 0G answers with 1 wei, below what its mempool accepts. This
 * also covers the user's own `hardhat ignition deploy` on those networks.
 */
export function withFeePolicy(config: HardhatUserConfig): HardhatUserConfig {
  if (config.networks === undefined) {
    return config;
  }
  const networks = { ...config.networks };
  for (const [name, network] of Object.entries(networks)) {
    if (network.chainId === undefined) {
      continue;
    }
    const configured = network.ignition?.maxPriorityFeePerGas;
    const tip = ignitionPriorityFee(network.chainId, configured);
    if (tip !== configured) {
      networks[name] = { ...network, ignition: { ...network.ignition, maxPriorityFeePerGas: tip } };
    }
  }
  return { ...config, networks };
}

/** The public storage indexer of a 0G chain, if it is one. */
export function knownIndexerUrl(chainId: bigint): string | undefined {
  return Object.values(ZEROG_CHAINS).find((c) => BigInt(c.chainId) === chainId)?.indexerUrl;
}
