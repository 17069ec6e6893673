import { getAddress } from "ethers/address";

import { flaiError } from "../errors.js";
import { MAX_KEYRING_BYTES, MAX_KEYRING_ENTRIES } from "../limits.js";
import { KEYRING_FORMAT, type Keyring, type KeyringEntry } from "./keyring-types.js";

// A keyring comes from storage by a root: whoever stored the bytes chose them. Parsing is strict (exact
// field sets, exact spellings, bounded size) so two readers never disagree on what a keyring says and
// nothing malformed reaches the unwrapping code.

const TOP_KEYS = ["chainId", "contract", "creator", "creatorKey", "entries", "format", "taskId"];
const ENTRY_KEYS = ["nonce", "reader", "readerKey", "wrappedKey"];
const HEX32 = /^0x[0-9a-f]{64}$/;

/** The keyring in `bytes` (serializeKeyring's format); `where` names them (e.g. "The keyring at root 0x…"). */
export function parseKeyring(bytes: Uint8Array, where: string): Keyring {
  const bad = (why: string) =>
    flaiError(
      `${where} is not a valid ${KEYRING_FORMAT} keyring: ${why}. Only keyrings written by flai:fl-create / flai:fl-admit are read.`,
    );
  if (bytes.length > MAX_KEYRING_BYTES) throw bad(`it is ${bytes.length} bytes, more than the ${MAX_KEYRING_BYTES} a keyring may have`);
  let doc: unknown;
  try {
    doc = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch {
    throw bad("it is not UTF-8 JSON");
  }
  const top = exactObject(doc, TOP_KEYS, "the document", bad);
  if (top.format !== KEYRING_FORMAT) throw bad(`its format is ${JSON.stringify(top.format)}, not "${KEYRING_FORMAT}"`);
  if (!Array.isArray(top.entries)) throw bad("its entries are not an array");
  if (top.entries.length > MAX_KEYRING_ENTRIES) throw bad(`it has ${top.entries.length} entries, more than ${MAX_KEYRING_ENTRIES}`);
  const entries = top.entries.map((e: unknown, i: number) => parseEntry(e, i, bad));
  const seen = new Set<string>();
  for (const e of entries) {
    if (seen.has(e.reader)) throw bad(`reader ${e.reader} has two entries`);
    seen.add(e.reader);
  }
  return {
    format: KEYRING_FORMAT,
    chainId: decimal(top.chainId, "chainId", 1n, bad),
    contract: checksummed(top.contract, "contract", bad),
    taskId: decimal(top.taskId, "taskId", 0n, bad),
    creator: checksummed(top.creator, "creator", bad),
    creatorKey: hex(top.creatorKey, HEX32, "creatorKey", bad),
    entries,
  };
}

type Bad = (why: string) => Error;

function parseEntry(value: unknown, i: number, bad: Bad): KeyringEntry {
  const e = exactObject(value, ENTRY_KEYS, `entry ${i}`, bad);
  return {
    reader: checksummed(e.reader, `entry ${i}'s reader`, bad),
    readerKey: hex(e.readerKey, HEX32, `entry ${i}'s readerKey`, bad),
    nonce: hex(e.nonce, /^0x[0-9a-f]{24}$/, `entry ${i}'s nonce`, bad),
    wrappedKey: hex(e.wrappedKey, /^0x[0-9a-f]{96}$/, `entry ${i}'s wrappedKey`, bad),
  };
}

function exactObject(value: unknown, keys: string[], what: string, bad: Bad): Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw bad(`${what} is not a JSON object`);
  const have = Object.keys(value).sort();
  if (have.join() !== keys.join()) {
    throw bad(`${what} must have exactly the fields ${keys.join(", ")} (it has ${have.join(", ") || "none"})`);
  }
  return value as Record<string, unknown>;
}

/** A decimal string without sign or leading zeros (the one spelling serializeKeyring writes). */
function decimal(value: unknown, what: string, min: bigint, bad: Bad): bigint {
  if (typeof value !== "string" || !/^(0|[1-9][0-9]{0,77})$/.test(value) || BigInt(value) < min) {
    throw bad(`its ${what} is not a decimal integer string ≥ ${min}`);
  }
  return BigInt(value);
}

/** An address in its EIP-55 checksummed spelling (what serializeKeyring writes). */
function checksummed(value: unknown, what: string, bad: Bad): string {
  let address: string | undefined;
  try {
    address = typeof value === "string" ? getAddress(value) : undefined;
  } catch {
    address = undefined;
  }
  if (address === undefined || address !== value) throw bad(`its ${what} is not a checksummed address`);
  return address;
}

function hex(value: unknown, shape: RegExp, what: string, bad: Bad): string {
  if (typeof value !== "string" || !shape.test(value)) throw bad(`its ${what} is not 0x + lowercase hex of the right length`);
  return value;
}
