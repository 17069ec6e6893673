import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";
import type { NetworkConnection } from "hardhat/types/network";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/types";

import { HardhatError } from "@nomicfoundation/hardhat-errors";

import { installKeepAliveHook } from "./keep-alive.js";
import { flaiError } from "../errors.js";
import { PRIVATE_KEY_VARIABLE } from "./networks.js";
import { assertPrivateKey } from "./private-key.js";

export type FlaiConnection = NetworkConnection<string>;

/** The connection a part should use: the one passed in, else the network chosen with --network. */
export async function useConnection(hre: HardhatRuntimeEnvironment, given?: FlaiConnection): Promise<FlaiConnection> {
  installKeepAliveHook(hre.hooks);
  if (given !== undefined) {
    return given;
  }
  let connection: FlaiConnection;
  try {
    connection = await hre.network.getOrCreate();
  } catch (error) {
    throw explainConnectionError(error, hre.globalOptions.network ?? "default");
  }
  await assertAccountsResolvable(connection);
  return connection;
}

/**
 * A connection for reading only, which needs no private key: `flai:fl-status`, `flai:job` and
 * `flai:verify` on a network whose key is not set (e.g. `galileo` without FLAI_PRIVATE_KEY). Hardhat
 * resolves an HTTP network's keys on its first request, whatever the request, so for such a network
 * the reader gets a connection of its own without accounts; otherwise the shared one.
 */
export async function useReadConnection(hre: HardhatRuntimeEnvironment, given?: FlaiConnection): Promise<FlaiConnection> {
  installKeepAliveHook(hre.hooks);
  if (given !== undefined) {
    return given;
  }
  const network = hre.globalOptions.network ?? "default";
  try {
    const config = hre.config.networks[network];
    if (config?.type === "http" && !(await accountsResolve(config.accounts))) {
      let keyless = keylessConnections.get(hre);
      if (keyless === undefined) {
        keyless = hre.network.create({ network, override: { accounts: [] } });
        keylessConnections.set(hre, keyless);
        keyless.catch(() => keylessConnections.delete(hre));
      }
      return await keyless;
    }
    return await hre.network.getOrCreate();
  } catch (error) {
    throw explainConnectionError(error, network);
  }
}

const keylessConnections = new WeakMap<HardhatRuntimeEnvironment, Promise<FlaiConnection>>();

/** Whether every key variable of a network's accounts can be resolved (never printing any). */
async function accountsResolve(accounts: unknown): Promise<boolean> {
  if (!Array.isArray(accounts)) {
    return true;
  }
  for (const account of accounts) {
    if (typeof account === "object" && account !== null && "get" in account) {
      try {
        await (account as { get(): Promise<string> }).get();
      } catch {
        return false;
      }
    }
  }
  return true;
}

/**
 * Resolves a remote network's key variables up front, so a missing key is reported before any
 * request goes out (and never printed: only its variable name is).
 */
async function assertAccountsResolvable(connection: FlaiConnection): Promise<void> {
  const accounts = connection.networkConfig.accounts;
  if (!Array.isArray(accounts)) {
    return;
  }
  for (const [index, account] of accounts.entries()) {
    const where = `networks.${connection.networkName}.accounts[${index}]`;
    if (typeof account === "string") {
      assertPrivateKey(account, `The key in ${where}`);
    } else if (typeof account === "object" && account !== null && "get" in account) {
      let key: string;
      try {
        key = await (account as { get(): Promise<string> }).get();
      } catch (error) {
        throw explainConnectionError(error, connection.networkName);
      }
      const name = (account as { name?: unknown }).name;
      assertPrivateKey(key, typeof name === "string" ? `The key in ${name} (${where})` : `The key in ${where}`);
    }
  }
}

export async function firstSigner(connection: FlaiConnection): Promise<HardhatEthersSigner> {
  let signers: HardhatEthersSigner[];
  try {
    signers = await connection.ethers.getSigners();
  } catch (error) {
    throw explainConnectionError(error, connection.networkName);
  }
  const [first] = signers;
  if (first === undefined) {
    throw flaiError(
      `Network "${connection.networkName}" has no account to send transactions from. ` +
        `Set the private key: \`npx hardhat keystore set ${PRIVATE_KEY_VARIABLE}\` (or the env var ${PRIVATE_KEY_VARIABLE}).`,
    );
  }
  return first;
}

/** Turns Hardhat's missing-config-variable error into one that says how to provide the key. */
export function explainConnectionError(error: unknown, networkName: string): unknown {
  if (HardhatError.isHardhatError(error) && /configuration variable/i.test(error.message)) {
    return flaiError(
      `Network "${networkName}" needs a private key that is not set (${error.message.replace(/^HHE\d+: /, "")}). ` +
        `Store it with \`npx hardhat keystore set ${PRIVATE_KEY_VARIABLE}\` or export ${PRIVATE_KEY_VARIABLE}=0x… in the environment.`,
      error,
    );
  }
  return error;
}

const bridges = new WeakMap<FlaiConnection, Promise<string>>();

/**
 * An HTTP JSON-RPC URL for the connection's chain, for tools that only take a URL: the network's
 * own URL, or for Hardhat's in-process chain a loopback bridge started on first use.
 */
export async function rpcUrlOf(connection: FlaiConnection): Promise<string> {
  const config = connection.networkConfig;
  if (config.type === "http") {
    return typeof config.url === "string" ? config.url : await config.url.get();
  }
  let url = bridges.get(connection);
  if (url === undefined) {
    const { serveChain } = await import("./chain-server.js");
    url = serveChain(connection.provider, { keepAlive: false }).then((s) => s.url);
    bridges.set(connection, url);
  }
  return url;
}

/** Options of any hre.flai call that talks to a chain. */
export interface ConnectionOption {
  /** Use this connection instead of the network chosen with --network. */
  connection?: FlaiConnection;
}
