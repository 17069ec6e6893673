import { stat } from "node:fs/promises";
import path from "node:path";

import { flaiError } from "../errors.js";
import { readLocalFile } from "../inputs.js";
import { parseJsonText } from "../ml/dataset.js";
import { canonicalJson } from "../ml/model.js";
import { machineSealingSecret } from "../tee/machine.js";
import { seal, unseal } from "../tee/sealing.js";
import { writeFileAtomic } from "../util/fs.js";

import { refusalTag } from "./rejections.js";
import { sha256Hex, sha256Digest } from "../util/sha256.js";

/**
 * Which round a result is for. previousHash (the global model the round starts from) is in the key
 * because every task's initial model carries a random nonce: a restarted chain that reuses the same
 * contract address and task id starts a different round, not a second attempt at the old one.
 */
export interface RoundKey {
  chainId: string;
  contract: string;
  taskId: string;
  round: number;
  previousHash: string;
}

/** What the enclave committed to for a round: the update set and which of its updates it accepted. */
export interface RoundInputs {
  /** sha256 over the recorded updates and the accepted clients (see roundInputHash). */
  inputHash: string;
  accepted: string[];
  recorded: number;
}

const FORMAT = "flai-round-record/v1";
const FOLDER = "rounds";

/**
 * Commits this enclave to one update set per round, before any result of the round leaves it:
 * the first call for a round writes a sealed record; later calls pass only with the same inputs
 * (a re-run reproduces the same bytes) and are refused otherwise. Two published aggregates of
 * different sets would reveal their difference (one client's update, noise-free or with the noise
 * subtracted), whether or not DP noise is on.
 *
 * The record lives on the host's disk: a host that deletes it (or restores an older copy) gets one
 * more result for another set. A real TEE keeps it under a hardware monotonic counter.
 */
export async function commitRoundInputs(enclaveDir: string, key: RoundKey, inputs: RoundInputs): Promise<"new" | "same"> {
  const name = sha256Digest(canonicalJson(key));
  const file = path.join(enclaveDir, FOLDER, `${name}.sealed`);
  // The label ties a record to its round: renaming another round's record over this one fails to unseal.
  const label = `hardhat-flai/round-record/${name}`;
  const secret = await machineSealingSecret();
  const existing = await readRecord(file, secret, label);
  if (existing === undefined) {
    const blob = seal(Buffer.from(canonicalJson({ format: FORMAT, key, ...inputs })), secret, label);
    try {
      await writeFileAtomic(file, blob, { mode: 0o600, overwrite: false });
      return "new";
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      // A concurrent aggregation of the same round committed first: hold this one to its choice.
      return compare(key, inputs, (await readRecord(file, secret, label))!, file);
    }
  }
  return compare(key, inputs, existing, file);
}

/** sha256 of the canonical JSON of the recorded updates (sorted by client) and the accepted clients. */
export function roundInputHash(
  recorded: ReadonlyArray<{ client: string; updateRoot: string; updateHash: string; numExamples: number }>,
  accepted: readonly string[],
): string {
  const entries = recorded
    .map((u) => [u.client.toLowerCase(), u.updateRoot.toLowerCase(), u.updateHash.toLowerCase(), u.numExamples] as const)
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const doc = canonicalJson({ recorded: entries, accepted: accepted.map((c) => c.toLowerCase()) });
  return sha256Hex(doc);
}

function compare(key: RoundKey, inputs: RoundInputs, record: RoundInputs, file: string): "same" {
  if (record.inputHash === inputs.inputHash) return "same";
  const missing = record.accepted.filter((c) => !inputs.accepted.includes(c));
  const extra = inputs.accepted.filter((c) => !record.accepted.includes(c));
  // One line each for what happened, what changed, and what to do: on one line it ran past 600 characters.
  throw flaiError(
    `${refusalTag("update-set-changed")}This enclave already aggregated round ${key.round} of task ${key.taskId} ` +
      `over ${record.recorded} recorded updates (${record.accepted.length} accepted) and will not aggregate another set of the same round: ` +
      `two results would reveal the updates that differ.\n` +
      `  Now ${inputs.recorded} are recorded and ${inputs.accepted.length} accepted` +
      (missing.length > 0 ? `; not accepted now: ${clientList(missing)}` : "") +
      (extra.length > 0 ? `; newly accepted: ${clientList(extra)}` : "") +
      `.\n  Re-run with the round's original update set (and every ciphertext retrievable as before) to reproduce its result. ` +
      `Record: ${file}`,
  );
}

/** Most clients an error names of a changed set: a round of hundreds of clients would make one unreadable line. */
const LISTED_CLIENTS = 3;

function clientList(clients: readonly string[]): string {
  const named = clients.slice(0, LISTED_CLIENTS).join(", ");
  return clients.length > LISTED_CLIENTS ? `${named} and ${clients.length - LISTED_CLIENTS} more` : named;
}

async function readRecord(file: string, secret: Uint8Array, label: string): Promise<RoundInputs | undefined> {
  try {
    await stat(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
  // The shared reader refuses a folder, device or oversized file by what it is.
  const blob = await readLocalFile(file, "The enclave's round record");
  const plain = unseal(blob, secret, label);
  if (plain === undefined) {
    throw flaiError(
      `The enclave's round record ${file} cannot be unsealed (altered, or sealed on another machine). ` +
        `The enclave will not aggregate this round again: it cannot tell which update set it committed to.`,
    );
  }
  // Sealed bytes that unseal were written by the enclave, but parse them through the checked reader anyway:
  // a duplicate key or absurd nesting is refused rather than silently resolved.
  const doc = parseJsonText(Buffer.from(plain).toString("utf8"), `The enclave's round record ${file}`) as RoundInputs & { format: string };
  return { inputHash: doc.inputHash, accepted: doc.accepted, recorded: doc.recorded };
}
