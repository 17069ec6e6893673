import type { NetworkConnection } from "hardhat/types/network";

import { flaiError } from "../errors.js";

import type { NodeFaults } from "./storage/node.js";
import { startStorageNode } from "./storage-node.js";

export interface StorageDevnetStartOptions {
  dir: string;
  port?: number;
  host?: string;
  faults?: NodeFaults;
  /** Wei per 256-byte sector; only used when the contracts are deployed now. */
  pricePerSector?: bigint;
  pollIntervalMs?: number;
}

export interface StorageDevnet {
  /** Indexer and storage node URL (the same server). */
  url: string;
  flowAddress: string;
  marketAddress: string;
  close(): Promise<void>;
}

/**
 * Deploys the devnet's Flow and Market on the connection's chain (Ignition reuses an earlier
 * deployment on a persistent network) and starts a storage node following that Flow.
 */
export async function startStorageDevnet(connection: NetworkConnection<string>, opts: StorageDevnetStartOptions): Promise<StorageDevnet> {
  const deployOptions =
    opts.pricePerSector === undefined ? {} : { parameters: { ZgStorageDevnet: { pricePerSector: opts.pricePerSector } } };
  // Loaded on use: building the module reads the compiled artifacts.
  const { default: ZgStorageDevnet } = await import("../../ignition/modules/ZgStorageDevnet.js");
  const { flow, market } = await connection.ignition.deploy(ZgStorageDevnet, deployOptions);
  const flowAddress = await flow.getAddress();
  const marketAddress = await market.getAddress();
  const chainId = BigInt((await connection.provider.request({ method: "eth_chainId" })) as string);
  const code = (await connection.provider.request({ method: "eth_getCode", params: [flowAddress, "latest"] })) as string;
  if (code === "0x") {
    throw flaiError(
      `Ignition recorded the ZgStorageDevnet Flow at ${flowAddress} on chain ${chainId}, but there is no contract there ` +
        `(the node was probably restarted). Delete ignition/deployments/chain-${chainId} and start the devnet again.`,
    );
  }
  const node = await startStorageNode({
    provider: connection.provider,
    flowAddress,
    chainId,
    dir: opts.dir,
    host: opts.host,
    port: opts.port,
    faults: opts.faults,
    pollIntervalMs: opts.pollIntervalMs,
  });
  return { url: node.url, flowAddress, marketAddress, close: () => node.close() };
}
