import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";

import { flaiError } from "../errors.js";
import { MAX_KEYRING_ENTRIES } from "../limits.js";
import { canonicalJson } from "../ml/model.js";
import { canonicalAddress, canonicalUint } from "./binding.js";
import { hexBytes, toHex } from "./hex.js";
import { pairKey } from "./pair-key.js";
import { x25519Public } from "./reader-key.js";

/**
 * Who can read a federated task's models. The task key K (32 random bytes, made by the creator) seals
 * every model of the task; a keyring wraps K once per reader with a key only the creator and that
 * reader can derive (pairKey "task-key"). The creator publishes a keyring's storage root on-chain
 * (FLAIFederated.publishKeyring, creator only), which is what makes a keyring the creator's: its bytes
 * carry no signature. Inside the enclave, where the chain is not read, a keyring is host-claimed: a
 * forged one can only wrap a K' that fails to open the real (on-chain hashed) previous model.
 */
export const KEYRING_FORMAT = "flai-keyring/v1";

export interface KeyringEntry {
  /** The reader's account (checksummed). */
  reader: string;
  /** The reader's registered X25519 reader key (0x + 64 lowercase hex) K was wrapped to. */
  readerKey: string;
  /** AES-256-GCM nonce, 0x + 24 hex. */
  nonce: string;
  /** AES-256-GCM(K_pair, K) with its 16-byte tag appended: 0x + 96 hex. */
  wrappedKey: string;
}

export interface Keyring {
  format: typeof KEYRING_FORMAT;
  chainId: bigint;
  /** The FLAIFederated contract (checksummed). */
  contract: string;
  taskId: bigint;
  /** The task's creator (checksummed), who made K and wrapped it. */
  creator: string;
  /** The creator's reader key: readers derive K_pair from their secret and this. */
  creatorKey: string;
  /** Sorted by reader; one entry per reader. */
  entries: KeyringEntry[];
}

/** Which task a keyring is for. */
export interface KeyringContext {
  chainId: bigint;
  contract: string;
  taskId: bigint;
}

/** An account with its reader key pair (src/privacy/reader-registry.ts readerKeyOf gives one). */
export interface ReaderIdentity {
  address: string;
  secret: Uint8Array;
  publicKey: string;
}

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

// Parsing lives in keyring-parse.ts (it only imports types from here, so there is no import cycle).
export { parseKeyring } from "./keyring-parse.js";
