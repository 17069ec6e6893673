import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";

import { flaiError, flaiErrorCode } from "../errors.js";
import { MAX_KEYRING_ENTRIES } from "../limits.js";
import { canonicalJson } from "../ml/model.js";
import { canonicalAddress, canonicalUint } from "./binding.js";
import { hexBytes, toHex } from "./hex.js";
import { pairKey } from "./pair-key.js";
import { x25519Public } from "./reader-key.js";
import { KEYRING_FORMAT, type Keyring, type KeyringContext, type KeyringEntry, type ReaderIdentity } from "./keyring-types.js";

// The keyring's types and format name live in keyring-types.ts, which keyring-parse.ts shares (no cycle).
export { KEYRING_FORMAT, type Keyring, type KeyringContext, type KeyringEntry, type ReaderIdentity } from "./keyring-types.js";

const NONCE = 12;
const TAG = 16;

/** One keyring entry: K wrapped by the creator to `reader`'s reader key. */
export function wrapTaskKey(
  taskKey: Uint8Array,
  creator: ReaderIdentity,
  reader: { address: string; readerKey: string },
  ctx: KeyringContext,
): KeyringEntry {
  checkTaskKey(taskKey);
  const address = canonicalAddress(reader.address, "A keyring reader");
  const readerKey = toHex(hexBytes(reader.readerKey, 32, `The reader key of ${address}`));
  const kPair = pairKey(creator.secret, readerKey, taskKeyInfo(ctx, address));
  const nonce = randomBytes(NONCE);
  const cipher = createCipheriv("aes-256-gcm", kPair, nonce);
  cipher.setAAD(entryAad(ctx, address, readerKey));
  const wrapped = Buffer.concat([cipher.update(taskKey), cipher.final(), cipher.getAuthTag()]);
  return { reader: address, readerKey, nonce: toHex(nonce), wrappedKey: toHex(wrapped) };
}

/** A keyring wrapping `taskKey` to every reader (duplicates refused), entries sorted by reader. */
export function buildKeyring(args: {
  chainId: bigint;
  contract: string;
  taskId: bigint;
  creator: ReaderIdentity;
  taskKey: Uint8Array;
  readers: { address: string; readerKey: string }[];
}): Keyring {
  const ctx = normalizeContext(args);
  checkTaskKey(args.taskKey);
  const creator = canonicalAddress(args.creator.address, "The keyring's creator");
  // A creator whose publicKey does not match its secret would publish a keyring nobody can open.
  if (x25519Public(args.creator.secret) !== args.creator.publicKey.toLowerCase()) {
    throw flaiError(`buildKeyring: the creator's publicKey is not the public key of its secret (derive both with readerKeyOf).`);
  }
  const entries = args.readers.map((r) => wrapTaskKey(args.taskKey, args.creator, r, ctx)).sort(byReader);
  checkUniqueReaders(entries, "buildKeyring");
  if (entries.length > MAX_KEYRING_ENTRIES) {
    throw flaiError(`A keyring holds at most ${MAX_KEYRING_ENTRIES} readers, got ${entries.length}: admit them in several keyrings.`);
  }
  return { format: KEYRING_FORMAT, ...ctx, creator, creatorKey: args.creator.publicKey.toLowerCase(), entries };
}

/** The bytes stored: canonical JSON (ids as decimal strings) and a newline. */
export function serializeKeyring(keyring: Keyring): Uint8Array {
  const doc = {
    format: keyring.format,
    chainId: keyring.chainId.toString(),
    contract: keyring.contract,
    taskId: keyring.taskId.toString(),
    creator: keyring.creator,
    creatorKey: keyring.creatorKey,
    entries: keyring.entries.map((e) => ({ reader: e.reader, readerKey: e.readerKey, nonce: e.nonce, wrappedKey: e.wrappedKey })),
  };
  return new TextEncoder().encode(canonicalJson(doc) + "\n");
}

/** K for `me` from its entry in `keyring`, for the task `ctx`. Codes: keyring-wrong-task, keyring-no-entry, keyring-not-authentic. */
export function unwrapTaskKey(keyring: Keyring, me: ReaderIdentity, ctx: KeyringContext): Uint8Array {
  const want = normalizeContext(ctx);
  if (keyring.chainId !== want.chainId || keyring.contract !== want.contract || keyring.taskId !== want.taskId) {
    throw flaiError(
      `The keyring is for task ${keyring.taskId} of ${keyring.contract} on chain ${keyring.chainId}, not task ${want.taskId} ` +
        `of ${want.contract} on chain ${want.chainId}. Use a keyring published for this task.`,
      undefined,
      { code: "keyring-wrong-task" },
    );
  }
  const address = canonicalAddress(me.address, "The reader");
  const publicKey = me.publicKey.toLowerCase();
  const entry = keyring.entries.find((e) => e.reader === address && e.readerKey === publicKey);
  if (entry === undefined) throw noEntry(keyring, address, publicKey);
  const kPair = pairKey(me.secret, keyring.creatorKey, taskKeyInfo(want, address));
  const wrapped = hexBytes(entry.wrappedKey, 32 + TAG, "A keyring entry's wrappedKey");
  try {
    const decipher = createDecipheriv("aes-256-gcm", kPair, hexBytes(entry.nonce, NONCE, "A keyring entry's nonce"));
    decipher.setAAD(entryAad(want, address, publicKey));
    decipher.setAuthTag(wrapped.subarray(32));
    return new Uint8Array(Buffer.concat([decipher.update(wrapped.subarray(0, 32)), decipher.final()]));
  } catch (error) {
    throw flaiError(
      `The keyring entry of ${address} for task ${want.taskId} failed authentication: it was not wrapped by the holder of ` +
        `creatorKey ${keyring.creatorKey} to this reader key, or was altered. Ask the task's creator to admit ${address} again ` +
        `(flai:fl-admit --task ${want.taskId} --clients ${address}).`,
      error,
      { code: "keyring-not-authentic" },
    );
  }
}

/**
 * Every distinct task key `me` can unwrap from `keyrings` (a task has one keyring per publication:
 * fl-create, then each fl-admit). Where keyrings are host-claimed (the enclave), one may be forged and
 * wrap a K' of the host's: the caller tries each candidate on the model it opens (openArtifact
 * authenticates) instead of trusting the first that unwraps. Throws keyring-no-entry when none has an
 * entry for `me`; entries that fail authentication or are for another task are skipped when another
 * keyring gives a key, else the first such error is thrown.
 */
export function taskKeyCandidates(keyrings: readonly Keyring[], me: ReaderIdentity, ctx: KeyringContext): Uint8Array[] {
  const keys = new Map<string, Uint8Array>();
  let firstError: unknown;
  for (const keyring of keyrings) {
    try {
      const key = unwrapTaskKey(keyring, me, ctx);
      keys.set(Buffer.from(key).toString("hex"), key);
    } catch (error) {
      // A keyring without an entry for me is normal (it admitted others); any other failure is kept to report.
      if (flaiErrorCode(error) !== "keyring-no-entry") firstError ??= error;
    }
  }
  if (keys.size > 0) return [...keys.values()];
  if (firstError !== undefined) throw firstError;
  const address = canonicalAddress(me.address, "The reader");
  throw flaiError(
    `None of the ${keyrings.length} keyring(s) of task ${ctx.taskId} admits ${address} (reader key ${me.publicKey}). ` +
      `The task's creator admits readers: npx hardhat flai:fl-admit --task ${ctx.taskId} --clients ${address}`,
    undefined,
    { code: "keyring-no-entry" },
  );
}

function noEntry(keyring: Keyring, address: string, publicKey: string) {
  const other = keyring.entries.find((e) => e.reader === address);
  const why =
    other === undefined
      ? `has no entry for ${address}`
      : `wraps the task key for ${address} to reader key ${other.readerKey}, not to its current key ${publicKey}`;
  return flaiError(
    `The keyring of task ${keyring.taskId} ${why}. The task's creator admits readers: ` +
      `npx hardhat flai:fl-admit --task ${keyring.taskId} --clients ${address}`,
    undefined,
    { code: "keyring-no-entry" },
  );
}

function taskKeyInfo(ctx: KeyringContext, reader: string) {
  return { purpose: "task-key" as const, chainId: ctx.chainId, contract: ctx.contract, party: reader, id: ctx.taskId };
}

/** What each wrapped key is bound to: moving an entry to another task, reader or reader key fails the tag. */
function entryAad(ctx: KeyringContext, reader: string, readerKey: string): Uint8Array {
  const text = canonicalJson({
    chainId: ctx.chainId.toString(),
    contract: ctx.contract,
    taskId: ctx.taskId.toString(),
    reader,
    readerKey,
  });
  return new TextEncoder().encode(text);
}

export function normalizeContext(ctx: KeyringContext): KeyringContext {
  return {
    chainId: BigInt(canonicalUint(ctx.chainId, "A keyring's chainId", 1n)),
    contract: canonicalAddress(ctx.contract, "A keyring's contract"),
    taskId: BigInt(canonicalUint(ctx.taskId, "A keyring's taskId")),
  };
}

function checkTaskKey(key: Uint8Array): void {
  if (!(key instanceof Uint8Array) || key.length !== 32) {
    throw flaiError(`A task key must be 32 bytes, got ${key instanceof Uint8Array ? key.length : typeof key}.`);
  }
}

function checkUniqueReaders(entries: readonly KeyringEntry[], where: string): void {
  const seen = new Set<string>();
  for (const e of entries) {
    if (seen.has(e.reader)) throw flaiError(`${where}: reader ${e.reader} appears twice; a keyring has one entry per reader.`);
    seen.add(e.reader);
  }
}

function byReader(a: KeyringEntry, b: KeyringEntry): number {
  return a.reader.toLowerCase() < b.reader.toLowerCase() ? -1 : a.reader.toLowerCase() > b.reader.toLowerCase() ? 1 : 0;
}

// Parsing lives in keyring-parse.ts, re-exported so callers import everything about keyrings from here.
export { parseKeyring } from "./keyring-parse.js";
