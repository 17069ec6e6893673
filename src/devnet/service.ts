import { rm } from "node:fs/promises";

import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import type { FlaiConnection } from "../chain/connection.js";
import { flaiError } from "../errors.js";
import type { GlobalModel } from "../federated/global-model.js";
import { chainIdOf, isEphemeral } from "../chain/deployment.js";
import { writeFileAtomic } from "../util/fs.js";

import { serveChain } from "../chain/chain-server.js";
import type { ComputeContracts } from "./compute/contracts.js";
import { modelAnswerer } from "./compute/model-answerer.js";
import { ensureComputeContracts, startComputeDevnet } from "./compute-devnet.js";
import { chainHistoryKey, computeDevnetRecord, devnetStateDir, storageNodeDir } from "./state.js";
import { deployStorageContracts, startStorageDevnet } from "./storage-devnet.js";

export interface DevnetOptions {
  /** Indexer + storage node port (--port). */
  port: number;
  /** Compute provider port (--compute-port). */
  computePort: number;
  /** Port the in-process chain is served on (--rpc-port); unused beside a persistent chain. */
  rpcPort: number;
  /** The model the provider serves, read once storage is up (it may live on this very devnet). */
  model: { name: string; load: () => Promise<GlobalModel> };
}

export interface RunningDevnet {
  chainId: bigint;
  /** The in-process chain's RPC URL, when this serves it. */
  chainRpc?: string;
  /** The folder holding this chain history's devnet state. */
  stateDir: string;
  /** Whether stateDir is removed on close (the in-process chain's state dies with it). */
  ephemeral: boolean;
  storage: { url: string; flowAddress: string; marketAddress: string };
  compute: { url: string; providerAddress: string; contracts: ComputeContracts };
  close(): Promise<void>;
}

/** What was started so far, closed newest first: on a start-up failure as on a normal stop. */
class Started {
  readonly #closers: (() => Promise<unknown>)[] = [];

  add(close: () => Promise<unknown>): void {
    this.#closers.push(close);
  }

  async closeAll(): Promise<void> {
    for (const close of this.#closers.splice(0).reverse()) {
      // One part that fails to close must not keep the others (and their ports) open.
      await close().catch(() => undefined);
    }
  }
}

const PORT_ERRORS: Record<string, string> = {
  EADDRINUSE: "is already in use",
  EACCES: "needs privileges this process does not have",
};

/** Node puts the errno code on the listen error; a wrapping error may carry it as its cause. */
function errnoCode(error: unknown): string | undefined {
  for (let e = error; e instanceof Error; e = e.cause) {
    const code = (e as NodeJS.ErrnoException).code;
    if (typeof code === "string") return code;
  }
  return undefined;
}

/** Runs a server's start; a port it cannot listen on becomes an error naming the option that changes it. */
async function listeningOn<T>(port: number, option: string, what: string, start: () => Promise<T>): Promise<T> {
  try {
    return await start();
  } catch (error) {
    const code = errnoCode(error);
    if (code !== undefined && code in PORT_ERRORS) {
      throw flaiError(
        `The ${what} cannot listen on 127.0.0.1:${port}: the port ${PORT_ERRORS[code]} (${code}). ` +
          `Stop what uses it, or choose another port with ${option} <port>.`,
        error,
      );
    }
    throw error;
  }
}

function checkPort(value: number, option: string): void {
  if (!Number.isInteger(value) || value < 0 || value > 65535) {
    throw flaiError(`${option} must be a TCP port from 1 to 65535 (or 0 for any free port), got ${value}.`);
  }
}

/**
 * Starts the local 0G stand-ins next to the connection's chain, in the order that lets each part
 * use the ones before it:
 *  1. the in-process chain over HTTP (the SDKs only take an RPC URL);
 *  2. the serving contracts, first on a fresh chain so they land on the SDK's built-in addresses;
 *  3. the storage contracts (a record a restarted local node forgot is dropped) and the storage node;
 *  4. the served model, read through the project's storage, which may be this devnet's;
 *  5. the compute provider.
 * A failure closes whatever started before it (freeing its ports) and is rethrown.
 */
export async function startDevnet(hre: HardhatRuntimeEnvironment, connection: FlaiConnection, opts: DevnetOptions): Promise<RunningDevnet> {
  checkPort(opts.port, "--port");
  checkPort(opts.computePort, "--compute-port");
  checkPort(opts.rpcPort, "--rpc-port");
  const started = new Started();
  try {
    return await startParts(hre, connection, opts, started);
  } catch (error) {
    await started.closeAll();
    throw error;
  }
}

async function startParts(
  hre: HardhatRuntimeEnvironment,
  connection: FlaiConnection,
  opts: DevnetOptions,
  started: Started,
): Promise<RunningDevnet> {
  const root = hre.config.paths.root;
  const chainId = await chainIdOf(connection);
  const ephemeral = isEphemeral(connection);
  let chainRpc: string | undefined;
  if (ephemeral) {
    const chain = await listeningOn(opts.rpcPort, "--rpc-port", "in-process chain's RPC server", () =>
      serveChain(connection.provider, { port: opts.rpcPort }),
    );
    started.add(chain.close);
    chainRpc = chain.url;
  }

  const computeContracts = await ensureComputeContracts(connection);
  const storageContracts = await deployStorageContracts(connection, { ignitionRoot: hre.config.paths.ignition });
  const history = await chainHistoryKey(connection.provider);
  const stateDir = devnetStateDir(root, history);
  if (ephemeral) {
    started.add(() => rm(stateDir, { recursive: true, force: true }));
  }
  const storage = await listeningOn(opts.port, "--port", "0G storage indexer and node", () =>
    startStorageDevnet(connection, {
      contracts: storageContracts,
      dir: storageNodeDir(root, history, storageContracts.flowAddress),
      port: opts.port,
    }),
  );
  started.add(storage.close);

  const served = await opts.model.load();
  const compute = await listeningOn(opts.computePort, "--compute-port", "0G compute provider", () =>
    startComputeDevnet(connection, {
      contracts: computeContracts,
      model: opts.model.name,
      answer: modelAnswerer(served),
      port: opts.computePort,
    }),
  );
  started.add(compute.close);
  const record = computeDevnetRecord(root, history);
  started.add(() => rm(record, { force: true }));
  await writeFileAtomic(record, JSON.stringify(compute.contracts, null, 2) + "\n");

  return {
    chainId,
    chainRpc,
    stateDir,
    ephemeral,
    storage: { url: storage.url, flowAddress: storage.flowAddress, marketAddress: storage.marketAddress },
    compute: { url: compute.url, providerAddress: compute.providerAddress, contracts: compute.contracts },
    close: () => started.closeAll(),
  };
}
