import type { RoundReport } from "../federated/round-report.js";
import type { RejectionCode } from "../federated/rejections.js";
import type { StorageBackend } from "../storage/types.js";

import { eq, message, sha256Hex, verdictItem, type Verdict, type VerifyItem } from "./common.js";
import type { Recorded } from "./round-chain.js";

/** A recorded update's ciphertext as storage returns it now, or why not. */
export interface Ciphertext {
  bytes: Uint8Array | undefined;
  error?: string;
}

/** Every recorded update's ciphertext, by client. */
export async function readCiphertexts(storage: StorageBackend, recorded: readonly Recorded[]): Promise<Map<string, Ciphertext>> {
  const ciphertexts = new Map<string, Ciphertext>();
  for (const u of recorded) {
    ciphertexts.set(u.client, await readCiphertext(storage, u.updateRoot));
  }
  return ciphertexts;
}

async function readCiphertext(storage: StorageBackend, root: string): Promise<Ciphertext> {
  try {
    return { bytes: await storage.read(root) };
  } catch (error) {
    return { bytes: undefined, error: message(error) };
  }
}

/** How the report lists one update: accepted, or rejected with the enclave's code and reason. */
export interface ListedUpdate {
  client: string;
  updateRoot: string;
  updateHash: string;
  numExamples: number;
  accepted: boolean;
  /** Rejected: the code decides verdicts (absent in a report without codes: then no reason is confirmed). */
  code?: RejectionCode;
  reason?: string;
}

/**
 * 5b. Every recorded update accounted for in the report (once, with the recorded root, hash and
 * num_examples), its ciphertext in storage under its hash, and nothing listed that was not recorded.
 */
export function checkUpdates(
  report: RoundReport | undefined,
  recorded: readonly Recorded[],
  ciphertexts: ReadonlyMap<string, Ciphertext>,
): VerifyItem[] {
  if (report === undefined) return recorded.map((u) => unreportedUpdate(u, ciphertexts.get(u.client)!));
  const listed: ListedUpdate[] = [
    ...report.accepted.map((e) => ({ ...e, accepted: true, code: undefined, reason: undefined })),
    ...report.rejected.map((e) => ({ ...e, accepted: false })),
  ];
  const items = recorded.map((u) => checkListedUpdate(u, listed, ciphertexts.get(u.client)!));
  const strays = listed.filter((e) => !recorded.some((u) => eq(u.client, e.client)));
  const complete = strays.length === 0 && listed.length === recorded.length;
  items.push(
    complete
      ? verdictItem(
          "updates accounted",
          "match",
          `all ${recorded.length} recorded updates are in the report (${report.accepted.length} accepted, ${report.rejected.length} rejected), none other`,
        )
      : verdictItem(
          "updates accounted",
          "mismatch",
          `the report lists ${listed.length} updates for ${recorded.length} recorded` +
            (strays.length > 0 ? `; not recorded on-chain: ${strays.map((s) => s.client).join(", ")}` : ""),
        ),
  );
  return items;
}

function checkListedUpdate(u: Recorded, listed: readonly ListedUpdate[], c: Ciphertext): VerifyItem {
  const item = `update ${u.client}`;
  const entries = listed.filter((e) => eq(e.client, u.client));
  const entry = entries[0];
  if (entries.length !== 1 || entry === undefined) {
    return verdictItem(
      item,
      "mismatch",
      `recorded on-chain (root ${u.updateRoot}) but listed ${entries.length} times in the report (expected once)`,
    );
  }
  if (!eq(entry.updateRoot, u.updateRoot) || !eq(entry.updateHash, u.updateHash) || entry.numExamples !== u.numExamples) {
    return verdictItem(
      item,
      "mismatch",
      `the report lists root ${entry.updateRoot}, hash ${entry.updateHash}, num_examples ${entry.numExamples}; UpdateRecorded has ${u.updateRoot}, ${u.updateHash}, ${u.numExamples}`,
    );
  }
  return verdictItem(item, ...updateVerdict(u, entry, c));
}

/** Without the report: only whether the ciphertext still hashes to what was recorded. */
function unreportedUpdate(u: Recorded, c: Ciphertext): VerifyItem {
  const ok = c.bytes !== undefined && eq(sha256Hex(c.bytes), u.updateHash);
  const state = c.bytes === undefined ? "not available" : ok ? "hashes to its recorded hash" : "does not hash to its recorded hash";
  return verdictItem(`update ${u.client}`, "cannot check", `ciphertext ${state}; without the report, whether it was accepted is unknown`);
}

/**
 * One update's verdict from the report's decision and the ciphertext storage returns now. A
 * rejection is confirmed by its code (never its reason's wording): "unavailable" by the ciphertext
 * still missing, "hash-mismatch" by its bytes not hashing to the recorded hash; other reasons need
 * the sealed key to re-check (re-execution does).
 */
export function updateVerdict(u: Recorded, decision: Pick<ListedUpdate, "accepted" | "code" | "reason">, c: Ciphertext): [Verdict, string] {
  const hashOk = c.bytes !== undefined && eq(sha256Hex(c.bytes), u.updateHash);
  const where = `ciphertext ${u.updateRoot}`;
  if (decision.accepted) {
    if (c.bytes === undefined) return ["cannot check", `accepted, but ${where} is not retrievable now (${c.error})`];
    return hashOk
      ? ["match", `accepted; ${where} is in storage (root verified) and its SHA-256 is the recorded ${u.updateHash}`]
      : ["mismatch", `accepted, but ${where} has SHA-256 ${sha256Hex(c.bytes)}, not the recorded ${u.updateHash}`];
  }
  const why = `rejected (${decision.reason ?? "no reason given"})`;
  if (c.bytes === undefined) {
    return decision.code === "unavailable"
      ? ["match", `${why}; ${where} is still not in storage`]
      : ["cannot check", `${why}; ${where} is not retrievable now (${c.error})`];
  }
  if (hashOk)
    return [
      "match",
      `${why}; ${where} is in storage and hashes to the recorded ${u.updateHash} (the reason needs the sealed key to re-check)`,
    ];
  return decision.code === "hash-mismatch"
    ? ["match", `${why}; confirmed: ${where} has SHA-256 ${sha256Hex(c.bytes)}, not the recorded ${u.updateHash}`]
    : ["mismatch", `${why}, but ${where} does not hash to the recorded ${u.updateHash}, which the enclave did not report`];
}
