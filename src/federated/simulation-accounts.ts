import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/types";
import { computeAddress, getAddress, keccak256, toQuantity, toUtf8Bytes } from "ethers";

import type { FlaiConnection } from "../chain/connection.js";
import { flaiError } from "../errors.js";
import { isEphemeral } from "../chain/deployment.js";

/** What each derived client account starts with: what a default simulated account starts with (10,000). */
export const DERIVED_CLIENT_BALANCE = 10n ** 22n;

/** Derived client accounts by address, with their keys (filled as derivedClientAddress makes them). */
const derivedKeys = new Map<string, string>();

/**
 * The private key of the `index`-th (0-based) client account a simulation derives beyond the network's
 * configured ones: keccak256("hardhat-flai fl-run client <index>"). Public knowledge — anyone can
 * compute it — so such an account only ever acts on the in-process simulated chain (where the node
 * impersonates it); the key exists so the client has a reader key (issue 17) like any other account.
 */
export function derivedClientKey(index: number): string {
  return keccak256(toUtf8Bytes(`hardhat-flai fl-run client ${index}`));
}

/** The address of the `index`-th derived client account (see derivedClientKey); the same index gives the same account in every run. */
export function derivedClientAddress(index: number): string {
  const key = derivedClientKey(index);
  const address = computeAddress(key);
  derivedKeys.set(address, key);
  return address;
}

/** The key of a derived client account this process made, or undefined for any other address. */
export function derivedClientKeyOf(address: string): string | undefined {
  return derivedKeys.get(getAddress(address));
}

/**
 * One account per simulated client, after the task creator (the first account): the network's
 * configured accounts first, then, on the in-process simulated chain, derived accounts for the rest
 * (20 accounts by default would stop a run at 19 clients). A derived account is funded with
 * hardhat_setBalance and sent from with hardhat_impersonateAccount rather than by transfers from the
 * creator: setting a balance mines no block, so a 100-client run does not push the chain's clock
 * (and the rounds' deadlines) forward by a block per account. On any other network the clients need
 * real accounts, so the error says how many and how to configure them.
 */
export async function simulationClients(connection: FlaiConnection, count: number): Promise<HardhatEthersSigner[]> {
  const signers = await connection.ethers.getSigners();
  const configured = signers.slice(1, count + 1);
  const missing = count - configured.length;
  if (missing <= 0) return configured;
  if (!isEphemeral(connection)) {
    throw flaiError(
      `--clients ${count} needs ${count + 1} accounts (one per client plus the task creator), but network ` +
        `"${connection.networkName}" has ${signers.length}. On a real network each client is a funded account of its own ` +
        `(it pays the gas of one recordUpdate per round and one claim per rewarded round): configure them, e.g. ` +
        `accounts: { mnemonic: configVariable("FLAI_MNEMONIC"), count: ${count + 1} } in hardhat.config.ts, and fund them; ` +
        `or lower --clients, or run on the in-process simulated network, where fl-run derives the accounts it needs.`,
    );
  }
  const derived = Array.from({ length: missing }, (_, i) => derivedClientAddress(i));
  await Promise.all(
    derived.map(async (address) => {
      await connection.provider.request({ method: "hardhat_setBalance", params: [address, toQuantity(DERIVED_CLIENT_BALANCE)] });
      await connection.provider.request({ method: "hardhat_impersonateAccount", params: [address] });
    }),
  );
  return [...configured, ...(await Promise.all(derived.map((address) => connection.ethers.getSigner(address))))];
}
