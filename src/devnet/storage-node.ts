import { getAddress, isAddress } from "ethers";
import type { EIP1193Provider } from "hardhat/types/providers";

import { flaiError } from "../errors.js";
import { fastHashInto } from "../storage/merkle-segments.js";

import { answerGateway } from "./storage/gateway.js";
import { IndexerCore } from "./storage/indexer.js";
import { StorageNodeCore, type NodeFaults } from "./storage/node.js";
import { startRpcServer } from "./storage/rpc.js";
import { isValidShard, type ShardConfig } from "../storage/shard.js";
import { NodeStore } from "./storage/store.js";
import { blockHashAt, readSubmissions } from "./storage/sync.js";

export interface StorageDevnetOptions {
  /** The chain the Flow lives on. */
  provider: EIP1193Provider;
  flowAddress: string;
  chainId: bigint;
  /** Where the node keeps what it learned and stored; reuse it to keep files across restarts. */
  dir: string;
  host?: string;
  port?: number;
  /**
   * How often the node asks the chain for new Submit logs (default 50 ms: an idle tick is one
   * eth_blockNumber, and an uploader's first poll for its transaction then waits ~25 ms, not ~100).
   */
  pollIntervalMs?: number;
  faults?: NodeFaults;
  /** Which segments this node keeps; default: all of them (one shard). */
  shard?: ShardConfig;
}

export interface StorageNodeServer {
  url: string;
  shard: ShardConfig;
  /** The folder the node keeps its data in (restart a node on it, and its port, to carry on). */
  dir: string;
  close(): Promise<void>;
}

/**
 * Starts one local 0G storage node on its own JSON-RPC URL: it follows the Flow's Submit logs,
 * checks uploaded segments the way the real node does, keeps those of its shard, and serves them
 * back. An indexer (startStorageIndexer) lists it to the storage SDK.
 */
export async function startStorageNode(opts: StorageDevnetOptions): Promise<StorageNodeServer> {
  const { provider, dir, host = "127.0.0.1", port = 0, pollIntervalMs = 50, faults = {}, shard = { numShard: 1, shardId: 0 } } = opts;
  if (!isAddress(opts.flowAddress))
    throw flaiError(`Invalid Flow address ${JSON.stringify(opts.flowAddress)}: expected a 0x-prefixed 20-byte address.`);
  if (typeof dir !== "string" || dir.trim() === "") throw flaiError("The 0G storage devnet needs a folder (dir) to keep its data in.");
  if (!isValidShard(shard)) {
    throw flaiError(
      `Invalid shard {numShard: ${shard.numShard}, shardId: ${shard.shardId}}: numShard must be a power of two and shardId in 0..numShard-1.`,
    );
  }
  const flowAddress = getAddress(opts.flowAddress);
  // Segment checks hash with the WebAssembly keccak once it is loaded: load it before serving.
  await fastHashInto();

  const chainId = BigInt((await provider.request({ method: "eth_chainId" })) as string);
  if (chainId !== opts.chainId) {
    throw flaiError(
      `The 0G storage devnet was given chain id ${opts.chainId}, but its provider is on chain ${chainId}. Pass the provider's chain id.`,
    );
  }
  const code = (await provider.request({ method: "eth_getCode", params: [flowAddress, "latest"] })) as string;
  if (code === "0x" || code === "") {
    throw flaiError(`No contract at Flow address ${flowAddress} on chain ${chainId}. Deploy the ZgStorageDevnet Ignition module first.`);
  }

  const store = await NodeStore.open(dir, { chainId: chainId.toString(), flowAddress, shard });
  if (store.sync.nextBlock > 0 && (await blockHashAt(provider, store.sync.height)) !== store.sync.blockHash) {
    throw flaiError(
      `The 0G storage devnet folder ${dir} was synced with another history of chain ${chainId} (block ${store.sync.height} ` +
        "differs, e.g. the chain was restarted). Its stored files are not on this chain: use a fresh folder.",
    );
  }

  const node = new StorageNodeCore(store, { chainId, flowAddress }, shard, faults);
  const syncOnce = async () => {
    for (;;) {
      const range = await readSubmissions(provider, flowAddress, store.sync.nextBlock);
      if (range === undefined) return;
      for (const tx of range.txs) await node.learn(tx);
      await store.saveSync({ ...store.sync, nextBlock: range.toBlock + 1, height: range.toBlock, blockHash: range.blockHash });
    }
  };
  await syncOnce();

  const rpc = await startRpcServer(node.methods(), { host, port });

  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();
  const schedule = () => {
    timer = setTimeout(() => {
      // A chain that is briefly unreachable is retried on the next tick.
      running = syncOnce()
        .catch(() => undefined)
        .finally(() => {
          if (!stopped) schedule();
        });
    }, pollIntervalMs);
    timer.unref();
  };
  schedule();

  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      stopped = true;
      clearTimeout(timer);
      const closed = rpc.close(); // drops every connection at once
      await running;
      await closed;
    })());
  // The dieAfterSegments fault: stop as a killed process would (the folder keeps what was stored).
  node.onDeath = () => void close();

  return { url: rpc.url, shard, dir, close };
}

export interface StorageIndexerOptions {
  /** The trusted storage nodes' JSON-RPC URLs. */
  nodes: readonly string[];
  host?: string;
  port?: number;
  /** Longest the indexer waits for one node's answer. */
  nodeTimeoutMs?: number;
}

/**
 * Starts a local 0G storage indexer in front of `nodes`: the indexer_* JSON-RPC methods the SDKs
 * call and the REST gateway (GET /file, /file/info/…, /node/status), on one URL.
 */
export async function startStorageIndexer(opts: StorageIndexerOptions): Promise<{ url: string; close(): Promise<void> }> {
  if (opts.nodes.length === 0) throw flaiError("The 0G storage indexer needs at least one storage node URL.");
  const indexer = new IndexerCore(opts.nodes, opts.nodeTimeoutMs);
  return startRpcServer(indexer.methods(), {
    host: opts.host ?? "127.0.0.1",
    port: opts.port ?? 0,
    get: (url) => answerGateway(indexer, url),
  });
}
