import type { HardhatUserConfig, HttpNetworkUserConfig } from "hardhat/types/config";

import { configVariable } from "hardhat/config";

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

/** The public storage indexer of a 0G chain, if it is one. */
export function knownIndexerUrl(chainId: bigint): string | undefined {
  return Object.values(ZEROG_CHAINS).find((c) => BigInt(c.chainId) === chainId)?.indexerUrl;
}
