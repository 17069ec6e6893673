import { getAddress, isAddress } from "ethers";
import type { EIP1193Provider } from "hardhat/types/providers";

import { flaiError } from "../errors.js";

import { StorageNodeCore, type NodeFaults } from "./storage/node.js";
import { startRpcServer } from "./storage/rpc.js";
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
  pollIntervalMs?: number;
  faults?: NodeFaults;
}

export interface StorageNodeServer {
  url: string;
  close(): Promise<void>;
}

/**
 * Starts a local 0G storage node and indexer on one JSON-RPC URL: it follows the Flow's Submit logs,
 * checks and stores uploaded segments the way the real node does, and serves them back. The real
 * storage SDK uploads to and downloads from it unchanged (indexer URL = node URL).
 */
export async function startStorageNode(opts: StorageDevnetOptions): Promise<StorageNodeServer> {
  const { provider, dir, host = "127.0.0.1", port = 0, pollIntervalMs = 200, faults = {} } = opts;
  if (!isAddress(opts.flowAddress)) throw flaiError(`Invalid Flow address ${JSON.stringify(opts.flowAddress)}: expected a 0x-prefixed 20-byte address.`);
  if (typeof dir !== "string" || dir.trim() === "") throw flaiError("The 0G storage devnet needs a folder (dir) to keep its data in.");
  const flowAddress = getAddress(opts.flowAddress);

  const chainId = BigInt((await provider.request({ method: "eth_chainId" })) as string);
  if (chainId !== opts.chainId) {
    throw flaiError(`The 0G storage devnet was given chain id ${opts.chainId}, but its provider is on chain ${chainId}. Pass the provider's chain id.`);
  }
  const code = (await provider.request({ method: "eth_getCode", params: [flowAddress, "latest"] })) as string;
  if (code === "0x" || code === "") {
    throw flaiError(`No contract at Flow address ${flowAddress} on chain ${chainId}. Deploy the ZgStorageDevnet Ignition module first.`);
  }

  const store = await NodeStore.open(dir, { chainId: chainId.toString(), flowAddress });
  if (store.sync.nextBlock > 0 && (await blockHashAt(provider, store.sync.height)) !== store.sync.blockHash) {
    throw flaiError(
      `The 0G storage devnet folder ${dir} was synced with another history of chain ${chainId} (block ${store.sync.height} ` +
        "differs, e.g. the chain was restarted). Its stored files are not on this chain: use a fresh folder.",
    );
  }

  const node = new StorageNodeCore(store, { chainId, flowAddress }, faults);
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
  node.url = rpc.url;

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

  return { url: rpc.url, close };
}
