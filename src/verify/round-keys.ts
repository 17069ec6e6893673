import { Wallet } from "ethers";
import { getBytes } from "ethers/utils";

import type { FlaiConnection } from "../chain/connection.js";
import { flaiErrorCode } from "../errors.js";
import { readKeyrings } from "../federated/task-access.js";
import { openTaskModel, taskKeysFor, type TaskContext } from "../federated/task-models.js";
import { isSealedArtifact } from "../privacy/artifact.js";
import type { ReaderIdentity } from "../privacy/keyring.js";
import { x25519Public } from "../privacy/reader-key.js";
import { readerKeyOf } from "../privacy/reader-registry.js";
import type { StorageBackend } from "../storage/types.js";
import { unsealSecrets } from "../tee/identity.js";

import { message } from "./common.js";
import type { RoundChain } from "./round-chain.js";

/**
 * What a verifier can open a private task's models with: the task keys the task's on-chain keyrings
 * give a reader key it holds — an account's (`--account`), or this machine's enclave's when it is the
 * task's enclave. Without any, the plaintext checks say "cannot check: encrypted".
 */
export interface RoundKeys {
  ctx: TaskContext;
  /** The task's keyrings as stored (none: a public task, or none readable). */
  keyrings: Uint8Array[];
  keys: Uint8Array[];
  /** Who the keys are for, for the verdicts ("account 0x…", "the task's enclave 0x…"), or why there are none. */
  who: string;
}

/** The keys this verifier holds for the task (see RoundKeys). Never throws: a missing key is a verdict, not an error. */
export async function roundKeys(
  storage: StorageBackend,
  chain: RoundChain,
  readers: { connection: FlaiConnection; account?: number; enclaveDir: string },
): Promise<RoundKeys> {
  const ctx = { chainId: chain.deployment.chainId, contract: chain.deployment.federated, taskId: chain.taskId };
  const keyrings = await readKeyrings(chain.federated, storage, chain.taskId).catch(() => []);
  if (keyrings.length === 0) return { ctx, keyrings, keys: [], who: "the task has no keyring (a public task)" };
  const candidates: Array<{ me: ReaderIdentity; who: string }> = [];
  const notes: string[] = [];
  if (readers.account !== undefined) {
    try {
      const me = await readerKeyOf(readers.connection, readers.account);
      candidates.push({ me, who: `account ${me.address}` });
    } catch (error) {
      notes.push(`--account ${readers.account}: ${message(error)}`);
    }
  }
  const enclave = await enclaveReader(readers.enclaveDir, chain.task.enclave);
  if (enclave !== undefined) candidates.push({ me: enclave, who: `the task's enclave ${enclave.address}` });
  for (const { me, who } of candidates) {
    const { keys, reasons } = taskKeysFor(keyrings, me, ctx);
    if (keys.length > 0) return { ctx, keyrings, keys, who };
    notes.push(`${who} is not admitted (${reasons[0] ?? "no keyring entry"})`);
  }
  const hint = "give --account <index> of an admitted reader, or verify on the task's enclave machine";
  return { ctx, keyrings, keys: [], who: notes.length > 0 ? `${notes.join("; ")}; ${hint}` : `no reader key here: ${hint}` };
}

/** This machine's enclave as a reader, when it is the task's enclave; else undefined. */
async function enclaveReader(enclaveDir: string, taskEnclave: string): Promise<ReaderIdentity | undefined> {
  try {
    const secrets = await unsealSecrets(enclaveDir);
    const address = new Wallet(secrets.signingKey).address;
    if (address !== taskEnclave) return undefined;
    const secret = getBytes(secrets.encryptionSecret);
    return { address, secret, publicKey: x25519Public(secret) };
  } catch {
    return undefined;
  }
}

/**
 * A stored model's plaintext for the checks: plaintext bytes as they are; sealed bytes opened with
 * the keys (then hash-checked by the caller, as for a public model); `encrypted` when no key opens
 * them (the item says why), `notAuthentic` when a key the keyrings give does not open them.
 */
export function plaintextOf(
  stored: Uint8Array,
  keys: RoundKeys,
  round: number,
  hash: string,
): { plaintext: Uint8Array } | { encrypted: string } | { problem: string } {
  if (!isSealedArtifact(stored)) return { plaintext: stored };
  if (keys.keys.length === 0) return { encrypted: keys.who };
  let last = "";
  for (const key of keys.keys) {
    try {
      return { plaintext: openTaskModel(stored, key, keys.ctx, round, hash) };
    } catch (error) {
      const code = flaiErrorCode(error);
      if (code !== "artifact-not-authentic" && code !== "model-hash-mismatch") throw error;
      last = message(error);
    }
  }
  return { problem: `it does not open to the on-chain hash with the task key ${keys.who} holds: ${last}` };
}
