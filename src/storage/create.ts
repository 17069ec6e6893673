import type { Signer } from "ethers";
import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import type { FlaiConfig } from "../config.js";
import { firstSigner, rpcUrlOf, useConnection, useReadConnection, type FlaiConnection } from "../chain/connection.js";
import { flaiError } from "../errors.js";
import { chainIdOf } from "../chain/deployment.js";
import { knownIndexerUrl } from "../chain/networks.js";

import { LocalStorage } from "./local.js";
import type { StorageBackend, StorageProgress, TransferOptions } from "./types.js";
import type { ZeroGStorage } from "./zerog.js";

/**
 * The backend `flai.storage` names. The 0G one binds to a network only when first used, without
 * resolving its key: reads need none, and an upload asks for its payer only when it pays.
 */
export function createStorage(hre: HardhatRuntimeEnvironment, config: FlaiConfig): StorageBackend {
  if (config.storage.backend === "local") {
    return new LocalStorage(config.storage.path);
  }
  // Reads go through a keyless connection; the payer comes from the network's own (keyed) connection,
  // whose key is checked before any request.
  const payer = async () => firstSigner(await useConnection(hre));
  return new DeferredStorage("0g", async () => zeroGStorageFor(await useReadConnection(hre), config, { signer: payer }));
}

/**
 * 0G Storage as seen from one network connection: its indexer, its RPC; uploads are paid by the
 * upload's `payer` (the acting party's account) or else the network's first account.
 */
export async function zeroGStorageFor(
  connection: FlaiConnection,
  config: FlaiConfig,
  overrides: { indexerUrl?: string; onProgress?: (p: StorageProgress) => void; signer?: () => Promise<Signer> } = {},
): Promise<ZeroGStorage> {
  // A configured chain id needs no request: a wrong RPC then fails on use, with its URL in the error.
  const chainId = connection.networkConfig.chainId !== undefined ? BigInt(connection.networkConfig.chainId) : await chainIdOf(connection);
  const indexerUrl = overrides.indexerUrl ?? config.storage.indexerUrl ?? knownIndexerUrl(chainId);
  if (indexerUrl === undefined) {
    throw flaiError(
      `flai.storage.backend is "0g" but network "${connection.networkName}" has no known 0G indexer. ` +
        `Set flai.storage.indexerUrl in hardhat.config.ts (for the local devnet, the URL \`npx hardhat flai:devnet\` prints).`,
    );
  }
  // Imported here: the 0G storage SDK bundle is large, and every Hardhat command creates `hre.flai`
  // (with the local backend, or before any 0G transfer) without needing it.
  const { ZeroGStorage } = await import("./zerog.js");
  return new ZeroGStorage({
    indexerUrl,
    evmRpc: async () => config.storage.evmRpc ?? (await rpcUrlOf(connection)),
    signer: overrides.signer ?? (() => firstSigner(connection)),
    timeoutSeconds: config.storage.timeoutSeconds,
    retries: config.storage.retries,
    onProgress: overrides.onProgress,
  });
}

/** Forwards to a backend built on first use, so creating `hre.flai` touches no network. */
class DeferredStorage implements StorageBackend {
  readonly kind: string;
  readonly #make: () => Promise<StorageBackend>;
  #backend: Promise<StorageBackend> | undefined;

  constructor(kind: string, make: () => Promise<StorageBackend>) {
    this.kind = kind;
    this.#make = make;
  }

  #get(): Promise<StorageBackend> {
    this.#backend ??= this.#make();
    this.#backend.catch(() => (this.#backend = undefined));
    return this.#backend;
  }

  async upload(input: string | Uint8Array, opts?: TransferOptions) {
    return (await this.#get()).upload(input, opts);
  }

  async download(root: string, dest: string, opts?: TransferOptions) {
    return (await this.#get()).download(root, dest, opts);
  }

  async read(root: string) {
    return (await this.#get()).read(root);
  }

  async has(root: string) {
    return (await this.#get()).has(root);
  }
}
