import path from "node:path";

import type { NetworkConnection } from "hardhat/types/network";

import { flaiError } from "../errors.js";
import { applyIgnitionFeePolicy } from "../chain/fee-data.js";
import { isEphemeral, liveIgnitionRecord } from "../chain/deployment.js";

import type { NodeFaults } from "./storage/node.js";
import { startStorageIndexer, startStorageNode, type StorageNodeServer } from "./storage-node.js";

export interface StorageDevnetStartOptions {
  /** Each shard node keeps its data in `<dir>/shard-<id>-of-<numShard>`. */
  dir: string;
  /** The indexer's port (0: any free one). */
  port?: number;
  host?: string;
  /** How many shard nodes (numShard): 2 as on Galileo by default; 1 for a single node holding everything. */
  shards?: number;
  /** The nodes' ports, by shard id (default: any free ones). */
  nodePorts?: readonly number[];
  /** Faults of every node. */
  faults?: NodeFaults;
  /** Faults of one node, by shard id (on top of `faults`). */
  shardFaults?: Readonly<Record<number, NodeFaults>>;
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
  /** The indexer's URL (JSON-RPC and REST gateway): what `flai.storage.indexerUrl` names. */
  url: string;
  /** The shard nodes, by shard id. */
  nodes: StorageNodeServer[];
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
  await applyIgnitionFeePolicy(connection);
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

/** Galileo's storage nodes are split into two shards. */
const DEFAULT_SHARDS = 2;
const MAX_SHARDS = 16;

/**
 * The devnet's Flow and Market on the connection's chain (`contracts`, or deployed now through
 * Ignition), `shards` storage nodes following that Flow (each its own server, keeping its shard's
 * segments) and an indexer in front of them.
 */
export async function startStorageDevnet(connection: NetworkConnection<string>, opts: StorageDevnetStartOptions): Promise<StorageDevnet> {
  const numShard = opts.shards ?? DEFAULT_SHARDS;
  if (!Number.isInteger(numShard) || numShard < 1 || numShard > MAX_SHARDS || (numShard & (numShard - 1)) !== 0) {
    throw flaiError(
      `The 0G storage devnet's shards must be a power of two from 1 to ${MAX_SHARDS} (as 0G's numShard), got ${opts.shards}.`,
    );
  }
  const { flowAddress, marketAddress } = opts.contracts ?? (await deployStorageContracts(connection, opts));
  const chainId = BigInt((await connection.provider.request({ method: "eth_chainId" })) as string);
  const nodes: StorageNodeServer[] = [];
  const closeAll = async () => {
    for (const node of nodes) await node.close();
  };
  try {
    for (let shardId = 0; shardId < numShard; shardId++) {
      nodes.push(
        await startStorageNode({
          provider: connection.provider,
          flowAddress,
          chainId,
          dir: path.join(opts.dir, `shard-${shardId}-of-${numShard}`),
          host: opts.host,
          port: opts.nodePorts?.[shardId],
          faults: { ...opts.faults, ...opts.shardFaults?.[shardId] },
          pollIntervalMs: opts.pollIntervalMs,
          shard: { numShard, shardId },
        }),
      );
    }
    const indexer = await startStorageIndexer({ nodes: nodes.map((n) => n.url), host: opts.host, port: opts.port });
    const close = async () => {
      await indexer.close();
      await closeAll();
    };
    return { url: indexer.url, nodes, flowAddress, marketAddress, close };
  } catch (error) {
    await closeAll();
    throw error;
  }
}
