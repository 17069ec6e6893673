import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import type { Contract, EventLog, Result } from "ethers";

import { useReadConnection, type FlaiConnection } from "../chain/connection.js";
import { resolveDeployment, type Deployment } from "../chain/deployment.js";
import type { StorageBackend } from "../storage/types.js";
import { devAuthorityAddress } from "../tee/attestation.js";

import { storageFaultOf } from "./storage-fault.js";

export type Verdict = "match" | "mismatch" | "cannot check";

/** One checked claim: what was checked, whether chain and storage agree, and the evidence or reason. */
export interface VerifyItem {
  item: string;
  verdict: Verdict;
  detail: string;
  /** Why a "cannot check" could not be checked, for code to act on (e.g. ENCRYPTED); absent otherwise. */
  code?: string;
}

/** A "cannot check" whose evidence is encrypted: the verifier holds no key that opens it (issue 17). */
export const ENCRYPTED = "encrypted";

/** One verdict item: the one place an item is built. */
export const verdictItem = (item: string, verdict: Verdict, detail: string, code?: string): VerifyItem =>
  code === undefined ? { item, verdict, detail } : { item, verdict, detail, code };

/** "cannot check: encrypted" — the item, and why no key this verifier holds opens its evidence. */
export const encryptedItem = (item: string, why: string): VerifyItem => verdictItem(item, "cannot check", `encrypted: ${why}`, ENCRYPTED);

/** A match when no problem was found (with `agreed` as evidence), else a mismatch listing them. */
export function judged(
  item: string,
  problems: readonly string[],
  agreed: string,
  differs: (problems: readonly string[]) => string,
): VerifyItem {
  return problems.length === 0 ? verdictItem(item, "match", agreed) : verdictItem(item, "mismatch", differs(problems));
}

/**
 * What verification needs of `hre.flai`, and no more: storage (by root) and the local enclave (its
 * folder, for the sealed key a re-execution needs, and its program's measurement). `hre.flai`
 * itself fits, so callers pass it; src/verify does not depend on the runtime that exposes it.
 */
export interface VerifierParts {
  readonly storage: StorageBackend;
  readonly teeSim: { readonly dir: string; measurement(): Promise<string> };
}

export interface VerifyOptions {
  /** Use this connection instead of the network chosen with --network. */
  connection?: FlaiConnection;
  /**
   * Index of a network account whose reader key opens encrypted artifacts (a private job's submitter):
   * with it, hashes are checked and training re-executed on the plaintext; without, "cannot check: encrypted".
   */
  account?: number;
}

/** The overall verdict: any mismatch fails; all match passes; otherwise some items could not be checked. */
export function overallVerdict(items: readonly VerifyItem[]): Verdict {
  if (items.some((i) => i.verdict === "mismatch")) return "mismatch";
  return items.length > 0 && items.every((i) => i.verdict === "match") ? "match" : "cannot check";
}

export { sha256Hex } from "../util/sha256.js";

/**
 * The chain as a verifier sees it: only reads, so no private key is needed on a remote network
 * (unlike `useConnection`, which resolves the accounts up front for sending).
 */
export async function verifierChain(
  hre: HardhatRuntimeEnvironment,
  given: FlaiConnection | undefined,
): Promise<{ connection: FlaiConnection; deployment: Deployment }> {
  const connection = await useReadConnection(hre, given);
  return { connection, deployment: await resolveDeployment(hre, connection, false, { devAuthority: devAuthorityAddress }) };
}

/** Ids as the tasks take them: src/chain/ids.ts is the one parser. */
export { parseId } from "../chain/ids.js";

export type Fetched = { bytes: Uint8Array; item: VerifyItem } | { bytes: undefined; item: VerifyItem };

/**
 * An object by its root, through the backend (which checks the bytes against the root). Absent is
 * "cannot check" (nothing contradicts the chain, the evidence is just gone); bytes with another
 * root are a mismatch; any other failure (network, I/O) is "cannot check" with the reason.
 */
export async function fetchVerified(storage: StorageBackend, root: string, item: string, what: string): Promise<Fetched> {
  let present: boolean;
  try {
    present = await storage.has(root);
  } catch (error) {
    return { bytes: undefined, item: verdictItem(item, "cannot check", `cannot reach storage for ${what} ${root}: ${message(error)}`) };
  }
  if (!present) {
    return {
      bytes: undefined,
      item: verdictItem(item, "cannot check", `${what} ${root} is not in ${storage.kind} storage (cannot be re-checked without it)`),
    };
  }
  try {
    const bytes = await storage.read(root);
    return { bytes, item: verdictItem(item, "match", `${what} ${root} downloaded, ${bytes.length} bytes, root verified`) };
  } catch (error) {
    const text = message(error);
    const tampered = storageFaultOf(error) === "root-mismatch";
    return {
      bytes: undefined,
      item: tampered
        ? verdictItem(item, "mismatch", `${what} ${root}: the stored bytes do not have this root: ${text}`)
        : verdictItem(item, "cannot check", `cannot read ${what} ${root}: ${text}`),
    };
  }
}

export { eventsOf } from "../chain/events.js";

/**
 * The direct call behind an event: its decoded arguments when the transaction called `method` on
 * `contract` itself, or why that cannot be read (a call from another contract needs a trace).
 */
export async function directCall(
  contract: Contract,
  address: string,
  log: EventLog,
  method: string,
): Promise<{ args: Result } | { why: string }> {
  const provider = contract.runner?.provider;
  if (provider === undefined || provider === null) return { why: "no provider to fetch the transaction" };
  const tx = await provider.getTransaction(log.transactionHash);
  if (tx === null) return { why: `the node does not return transaction ${log.transactionHash}` };
  if (tx.to === null || tx.to.toLowerCase() !== address.toLowerCase()) {
    return {
      why: `transaction ${log.transactionHash} called ${tx.to ?? "no contract"}, which called ${address} internally; its calldata (with the signature) needs a trace`,
    };
  }
  const parsed = contract.interface.parseTransaction({ data: tx.data, value: tx.value });
  if (parsed === null || parsed.name !== method) {
    return { why: `transaction ${log.transactionHash} is not a direct ${method} call` };
  }
  return { args: parsed.args };
}

/** A view at the block of an event, falling back to the latest state on nodes without history. */
export async function viewAt<T>(
  call: (overrides: { blockTag?: number }) => Promise<T>,
  blockNumber: number,
): Promise<{ value: T; at: string }> {
  try {
    return { value: await call({ blockTag: blockNumber }), at: `block ${blockNumber}` };
  } catch {
    return { value: await call({}), at: "the latest block (this node keeps no state history)" };
  }
}

export function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export const eq = (a: string | undefined | null, b: string | undefined | null): boolean =>
  typeof a === "string" && typeof b === "string" && a.toLowerCase() === b.toLowerCase();
