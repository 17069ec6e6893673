import { readdir, readFile } from "node:fs/promises";
import path from "node:path";

import type { NetworkConnection } from "hardhat/types/network";

import { isFlaiError } from "../../src/errors.js";
import { startStorageDevnet, type StorageDevnet } from "../../src/devnet/storage-devnet.js";
import { startStorageIndexer, startStorageNode, type StorageNodeServer } from "../../src/devnet/storage-node.js";

import { startFaultProxy, type ConnectionFault, type FaultProxy } from "./net.js";

/**
 * The 0G storage devnet behind fault proxies: the SDK reaches the indexer and every shard node only
 * through a proxy (the indexer lists the nodes' proxies), so connections can be reset or slowed, and
 * a node can be stopped and started again on its port and folder while the proxies stay up.
 */
export interface FaultyDevnet {
  /** The indexer's proxy: what the storage under test is given as its indexer URL. */
  url: string;
  proxies: FaultProxy[];
  /** Every connection, on every proxy, gets a fault from `pick` from now on. */
  setFaults(pick: () => ConnectionFault): void;
  /** Stops shard `shard`'s node as a killed process would, and starts it again after `downMs`. */
  restartNode(shard: number, downMs: number): Promise<void>;
  restarts: number;
  /** The shard nodes' data folders. */
  dirs: string[];
  /** Every server the rig started (proxies, indexers, nodes), for checking that none still answers. */
  serverUrls: string[];
  close(): Promise<void>;
}

export async function startFaultyDevnet(connection: NetworkConnection<string>, dir: string): Promise<FaultyDevnet> {
  const devnet: StorageDevnet = await startStorageDevnet(connection, { dir, shards: 2 });
  const chainId = BigInt((await connection.provider.request({ method: "eth_chainId" })) as string);
  const nodes: StorageNodeServer[] = [...devnet.nodes];
  const nodeProxies = await Promise.all(nodes.map((n) => startFaultProxy(Number(new URL(n.url).port))));
  const indexer = await startStorageIndexer({ nodes: nodeProxies.map((p) => p.url) });
  const indexerProxy = await startFaultProxy(Number(new URL(indexer.url).port));
  const proxies = [indexerProxy, ...nodeProxies];
  let restarting: Promise<void> = Promise.resolve();
  const rig: FaultyDevnet = {
    url: indexerProxy.url,
    proxies,
    restarts: 0,
    dirs: nodes.map((n) => n.dir),
    serverUrls: [...proxies.map((p) => p.url), indexer.url, devnet.url, ...nodes.map((n) => n.url)],
    setFaults: (pick) => proxies.forEach((p) => p.setFaults(pick)),
    restartNode(shard, downMs) {
      restarting = restarting.then(async () => {
        const old = nodes[shard]!;
        await old.close();
        await new Promise((resolve) => setTimeout(resolve, downMs));
        nodes[shard] = await startStorageNode({
          provider: connection.provider,
          flowAddress: devnet.flowAddress,
          chainId,
          dir: old.dir,
          port: Number(new URL(old.url).port),
          shard: old.shard,
        });
        rig.restarts++;
      });
      return restarting;
    },
    async close() {
      await restarting.catch(() => undefined);
      for (const proxy of proxies) await proxy.close();
      await indexer.close();
      for (const node of nodes) await node.close();
      await devnet.close();
    },
  };
  return rig;
}

/** What one faulted operation came to: done, a plugin error (retried later), or anything else (a bug). */
export type Outcome<T> = { ok: true; value: T } | { ok: false; flai: boolean; error: unknown };

/** Runs `op`, failing with a "hang" error if it takes longer than `boundMs` (the op's own timeouts did not fire). */
export async function bounded<T>(what: string, boundMs: number, op: () => Promise<T>): Promise<Outcome<T>> {
  let timer: NodeJS.Timeout | undefined;
  const hang = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new HangError(`${what} did not end within ${boundMs} ms`)), boundMs);
  });
  try {
    return { ok: true, value: await Promise.race([op(), hang]) };
  } catch (error) {
    return { ok: false, flai: isFlaiError(error), error };
  } finally {
    clearTimeout(timer);
  }
}

export class HangError extends Error {}

/** Every file under `dir` (recursively) that looks like a temp file: `.*.tmp`, `flai-upload-*`, `flai-read-*`. */
export async function tempFilesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => /^\..*\.tmp$/.test(e.name) || /^flai-(upload|read)-/.test(e.name))
    .map((e) => path.join(e.parentPath, e.name));
}

/** The pids of this process's live children (Linux: /proc/self/task/<tid>/children). */
export async function childPids(): Promise<number[]> {
  const tasks = await readdir("/proc/self/task").catch(() => [] as string[]);
  const pids: number[] = [];
  for (const tid of tasks) {
    const text = await readFile(`/proc/self/task/${tid}/children`, "utf8").catch(() => "");
    pids.push(...text.split(/\s+/).filter(Boolean).map(Number));
  }
  return pids;
}

/** `pid` and its command line, for a failure message. */
export async function describePid(pid: number): Promise<string> {
  const cmd = await readFile(`/proc/${pid}/cmdline`, "utf8").catch(() => "");
  return `${pid}: ${cmd.split("\0").join(" ").trim().slice(0, 200)}`;
}

/** Whether process `pid` still exists (signal 0 probes without signalling). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code !== "ESRCH";
  }
}

/** A short description of an operation's error for a failure message. */
export function describeError(error: unknown): string {
  if (error instanceof Error) return `${error.constructor.name}: ${error.message}\n${error.stack ?? ""}`;
  return String(error);
}
