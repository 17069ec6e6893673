import type { NetworkConnection } from "hardhat/types/network";

import { flaiError } from "../errors.js";
import { isEphemeral, liveIgnitionRecord } from "../jobs/deployment.js";

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
  /** Flow and Market already deployed (deployStorageContracts); deployed now when left out. */
  contracts?: StorageContracts;
}

export interface StorageContracts {
  flowAddress: string;
  marketAddress: string;
}

export interface StorageDevnet {
  /** Indexer and storage node URL (the same server). */
  url: string;
  flowAddress: string;
  marketAddress: string;
  close(): Promise<void>;
}

const FLOW_FUTURE_ID = "ZgStorageDevnet#ZgFlow";
const MARKET_FUTURE_ID = "ZgStorageDevnet#ZgMarket";

/**
 * The devnet's Flow and Market on the connection's chain, deployed through Ignition, which reuses
 * an earlier deployment on a persistent network. Given `ignitionRoot` (the project's
 * `paths.ignition`), a record that a restarted local node forgot is dropped and the contracts are
 * deployed afresh, as flai:deploy does.
 */
export async function deployStorageContracts(
  connection: NetworkConnection<string>,
  opts: { ignitionRoot?: string; pricePerSector?: bigint } = {},
): Promise<StorageContracts> {
  // The in-process chain has no record (Ignition keeps its deployments in memory there).
  if (opts.ignitionRoot !== undefined && !isEphemeral(connection)) {
    await liveIgnitionRecord(opts.ignitionRoot, connection, [FLOW_FUTURE_ID, MARKET_FUTURE_ID], "the ZgStorageDevnet Flow and Market");
  }
  const deployOptions =
    opts.pricePerSector === undefined ? {} : { parameters: { ZgStorageDevnet: { pricePerSector: opts.pricePerSector } } };
  // Loaded on use: building the module reads the compiled artifacts.
  const { default: ZgStorageDevnet } = await import("../../ignition/modules/ZgStorageDevnet.js");
  const { flow, market } = await connection.ignition.deploy(ZgStorageDevnet, deployOptions);
  const flowAddress = await flow.getAddress();
  const marketAddress = await market.getAddress();
  const code = (await connection.provider.request({ method: "eth_getCode", params: [flowAddress, "latest"] })) as string;
  if (code === "0x") {
    const chainId = BigInt((await connection.provider.request({ method: "eth_chainId" })) as string);
    throw flaiError(
      `Ignition recorded the ZgStorageDevnet Flow at ${flowAddress} on chain ${chainId}, but there is no contract there ` +
        `(the node was probably restarted). Delete ignition/deployments/chain-${chainId} and start the devnet again.`,
    );
  }
  return { flowAddress, marketAddress };
}

/**
 * The devnet's Flow and Market on the connection's chain (`contracts`, or deployed now through
 * Ignition) and a storage node following that Flow.
 */
export async function startStorageDevnet(connection: NetworkConnection<string>, opts: StorageDevnetStartOptions): Promise<StorageDevnet> {
  const { flowAddress, marketAddress } = opts.contracts ?? (await deployStorageContracts(connection, opts));
  const chainId = BigInt((await connection.provider.request({ method: "eth_chainId" })) as string);
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
