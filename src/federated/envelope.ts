import {
  createCipheriv,
  createDecipheriv,
  createPrivateKey,
  createPublicKey,
  diffieHellman,
  generateKeyPairSync,
  hkdfSync,
  type KeyObject,
} from "node:crypto";

import { getAddress } from "ethers/address";

import { flaiError } from "../errors.js";
import { canonicalJson } from "../ml/model.js";
import { ByteReader, concatBytes, type Bytes } from "../util/bytes.js";
import { sha256Digest } from "../util/sha256.js";

/** What an update is for; authenticated, so a ciphertext cannot be moved to another round or client. */
export interface UpdateBinding {
  chainId: bigint | number;
  /** The federated-learning contract's address. */
  contract: string;
  taskId: bigint | number;
  round: bigint | number;
  /** The client that made (and must submit) the update. */
  client: string;
}

const MAGIC = [0x46, 0x4c, 0x55, 0x50]; // "FLUP"
const VERSION = 2;
const PREFIX = MAGIC.length + 1 + 2; // magic | version | uint16 header length
const MAX_HEADER = 4096;
const NONCE = 12;
const TAG = 16;
const INFO = "hardhat-flai/update/v2";
// Version 2 seals the payload in 16 MiB segments, each its own AES-GCM message, fed through the
// cipher 1 MiB at a time: the ciphertext and plaintext are kept as the 1 MiB buffers node:crypto
// returns (no contiguous 64 MiB output to page in), a stream can be opened a segment at a time, and
// a truncated, reordered or spliced envelope fails authentication (counter + last-segment flag in the
// nonce). Measured with bench/envelope.ts: 1 MiB segments ran ~25% slower than one message per
// payload; 16 MiB segments run level with it.
const SEGMENT = 16 << 20;
const PIECE = 1 << 20;

interface Header {
  chainId: string;
  contract: string;
  taskId: string;
  round: string;
  client: string;
  keyId: string;
  ephemeralKey: string;
}
type BindingFields = Omit<Header, "keyId" | "ephemeralKey">;
const HEADER_KEYS = ["chainId", "client", "contract", "ephemeralKey", "keyId", "round", "taskId"];

/** `0x` + first 8 bytes of sha256(X25519 public key): names the enclave key an envelope is for. */
export function enclaveKeyId(enclavePublicKey: string | Uint8Array): string {
  const key = typeof enclavePublicKey === "string" ? readKey(enclavePublicKey, "The enclave public key") : enclavePublicKey;
  return "0x" + sha256Digest(key).slice(0, 16);
}

/**
 * Encrypts a client update to the enclave's attested X25519 key: ephemeral X25519 → HKDF-SHA256 →
 * AES-256-GCM over 16 MiB segments. Layout: "FLUP" | version | uint16 BE header length | header
 * (canonical JSON) | per segment: ciphertext (16 MiB, the last 0–16 MiB) | tag(16). Every segment's
 * associated data is everything before the first segment; its nonce is 7 zero bytes | uint32 BE
 * segment index | 1 for the last segment else 0 (the key is fresh per envelope, so no nonce repeats).
 * Returns the envelope as parts (see `Bytes`); `sealUpdate` joins them.
 */
export function sealUpdateParts(plaintext: Bytes, enclavePublicKey: string, binding: UpdateBinding): Uint8Array[] {
  const enclavePub = readKey(enclavePublicKey, "The enclave public key (its attested encryptionKey)");
  const ephemeral = generateKeyPairSync("x25519");
  const ephemeralPub = rawPublicKey(ephemeral.publicKey);
  const header: Header = {
    ...normalizeBinding(binding, "sealUpdate"),
    keyId: enclaveKeyId(enclavePub),
    ephemeralKey: toHex(ephemeralPub),
  };
  const headerBytes = new TextEncoder().encode(canonicalJson(header));
  const aad = new Uint8Array(PREFIX + headerBytes.length);
  aad.set(MAGIC, 0);
  aad[4] = VERSION;
  aad[5] = headerBytes.length >> 8;
  aad[6] = headerBytes.length & 0xff;
  aad.set(headerBytes, PREFIX);

  let shared: Uint8Array;
  try {
    shared = diffieHellman({ privateKey: ephemeral.privateKey, publicKey: x25519PublicKey(enclavePub) });
  } catch (error) {
    throw flaiError(
      "The enclave public key (its attested encryptionKey) is not a usable X25519 public key. " +
        "Use the encryptionKey of the enclave's attestation report.",
      error,
    );
  }
  const key = deriveKey(shared, ephemeralPub, enclavePub);
  const input = new ByteReader(plaintext);
  const segments = Math.max(1, Math.ceil(input.length / SEGMENT));
  const out: Uint8Array[] = [aad];
  for (let i = 0; i < segments; i++) {
    const cipher = createCipheriv("aes-256-gcm", key, segmentNonce(i, i === segments - 1));
    cipher.setAAD(aad);
    for (const piece of pieces(input, i * SEGMENT, Math.min(input.length, (i + 1) * SEGMENT))) out.push(cipher.update(piece));
    cipher.final();
    out.push(cipher.getAuthTag());
  }
  return out;
}

/** `sealUpdateParts` as one contiguous envelope, the bytes a client uploads. */
export function sealUpdate(plaintext: Bytes, enclavePublicKey: string, binding: UpdateBinding): Uint8Array {
  return concatBytes(sealUpdateParts(plaintext, enclavePublicKey, binding));
}

/**
 * Decrypts an envelope inside the enclave, returning the plaintext as parts (see `Bytes`;
 * `openUpdate` joins them). Authenticates before checking the binding, so the "made for"/"made by"
 * facts an error reports are what the sealer wrote, never bytes altered in transit (an altered
 * header fails authentication instead).
 */
export function openUpdateParts(envelope: Bytes, enclaveSecret: string, expected: UpdateBinding): Uint8Array[] {
  const want = normalizeBinding(expected, "openUpdate");
  const where = `The update envelope submitted by ${want.client} for task ${want.taskId} round ${want.round}`;
  const input = new ByteReader(envelope);
  const { header, aad } = parseEnvelope(input, where);

  const secret = x25519PrivateKey(readKey(enclaveSecret, "The enclave secret key"));
  const enclavePub = rawPublicKey(createPublicKey(secret));
  const ownKeyId = enclaveKeyId(enclavePub);
  if (header.keyId !== ownKeyId) {
    throw flaiError(
      `${where} is encrypted to another enclave key (keyId ${header.keyId}; this enclave's is ${ownKeyId}). ` +
        `The client must re-encrypt it to this enclave's attested encryption key.`,
    );
  }

  const ephemeralPub = fromHex(header.ephemeralKey);
  let shared: Uint8Array;
  try {
    shared = diffieHellman({ privateKey: secret, publicKey: x25519PublicKey(ephemeralPub) });
  } catch (error) {
    throw flaiError(`${where} is malformed: its ephemeral key is not a usable X25519 public key. Seal it again.`, error);
  }
  const key = deriveKey(shared, ephemeralPub, enclavePub);
  const body = input.length - aad.length;
  const segments = Math.max(1, Math.ceil(body / (SEGMENT + TAG)));
  const out: Uint8Array[] = [];
  try {
    for (let i = 0, at = aad.length; i < segments; i++) {
      const end = Math.min(input.length, at + SEGMENT + TAG);
      const decipher = createDecipheriv("aes-256-gcm", key, segmentNonce(i, i === segments - 1));
      decipher.setAAD(aad);
      decipher.setAuthTag(input.slice(end - TAG, end));
      for (const piece of pieces(input, at, end - TAG)) out.push(decipher.update(piece));
      decipher.final();
      at = end;
    }
  } catch (error) {
    throw flaiError(
      `${where} failed authentication: its ciphertext or header was altered, truncated or reordered after sealing. ` +
        `Reject it; the client must submit the envelope exactly as sealUpdate produced it.`,
      error,
    );
  }

  checkBinding(header, want, where);
  return out;
}

/** `openUpdateParts` as one contiguous plaintext. */
export function openUpdate(envelope: Bytes, enclaveSecret: string, expected: UpdateBinding): Uint8Array {
  return concatBytes(openUpdateParts(envelope, enclaveSecret, expected));
}

/** [start, end) of `input` in views of at most PIECE bytes: the size of every buffer node:crypto returns. */
function* pieces(input: ByteReader, start: number, end: number): Generator<Uint8Array> {
  for (const view of input.pieces(start, end)) {
    for (let at = 0; at < view.length; at += PIECE) yield view.subarray(at, Math.min(view.length, at + PIECE));
  }
}

/** 7 zero bytes | uint32 BE index | last-segment flag: segments cannot be dropped, moved or cut short. */
function segmentNonce(index: number, last: boolean): Uint8Array {
  const nonce = new Uint8Array(NONCE);
  new DataView(nonce.buffer).setUint32(7, index);
  nonce[11] = last ? 1 : 0;
  return nonce;
}

function checkBinding(made: Header, want: BindingFields, where: string): void {
  if (made.chainId !== want.chainId || made.contract !== want.contract || made.taskId !== want.taskId) {
    throw flaiError(
      `${where} was made for another task (task ${made.taskId} of contract ${made.contract} on chain ${made.chainId}; ` +
        `this is task ${want.taskId} of ${want.contract} on chain ${want.chainId}). Reject it as a replay.`,
    );
  }
  if (made.round !== want.round) {
    throw flaiError(
      `${where} is replayed: made for round ${made.round}, this is round ${want.round}. ` +
        `The client must seal a fresh update for round ${want.round}.`,
    );
  }
  if (made.client !== want.client) {
    throw flaiError(
      `${where} is claimed by ${want.client}, made by ${made.client}. ` + `Only the client that sealed an update may submit it.`,
    );
  }
}

function parseEnvelope(input: ByteReader, where: string): { header: Header; aad: Uint8Array } {
  const malformed = (why: string) => flaiError(`${where} is malformed: ${why}. Submit the bytes exactly as sealUpdate produced them.`);
  const prefix = input.slice(0, Math.min(PREFIX, input.length));
  if (prefix.length < PREFIX || MAGIC.some((b, i) => prefix[i] !== b)) {
    throw malformed(`it does not start with the "FLUP" magic of a hardhat-flai update envelope`);
  }
  if (prefix[4] !== VERSION) throw malformed(`it is version ${prefix[4]}, but this build reads version ${VERSION}`);
  const headerLength = (prefix[5]! << 8) | prefix[6]!;
  const aadEnd = PREFIX + headerLength;
  if (headerLength === 0 || headerLength > MAX_HEADER) throw malformed(`its header length ${headerLength} is out of range`);
  if (input.length < aadEnd + TAG) {
    throw malformed(`it is ${input.length} bytes, too short for its ${headerLength}-byte header and a tag`);
  }
  const lastSegment = (input.length - aadEnd) % (SEGMENT + TAG);
  if (lastSegment > 0 && lastSegment < TAG) {
    throw malformed(`its last segment is ${lastSegment} bytes, shorter than a ${TAG}-byte tag (the envelope was cut short)`);
  }
  const aad = input.slice(0, aadEnd);
  let doc: unknown;
  try {
    doc = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(aad.subarray(PREFIX)));
  } catch {
    throw malformed("its header is not valid UTF-8 JSON");
  }
  if (typeof doc !== "object" || doc === null || Array.isArray(doc)) throw malformed("its header is not a JSON object");
  const obj = doc as Record<string, unknown>;
  const keys = Object.keys(obj).sort();
  if (keys.join() !== HEADER_KEYS.join() || !keys.every((k) => typeof obj[k] === "string")) {
    throw malformed(`its header must have exactly the string fields ${HEADER_KEYS.join(", ")}`);
  }
  const header = obj as unknown as Header;
  if (!/^0x[0-9a-f]{64}$/.test(header.ephemeralKey) || !/^0x[0-9a-f]{16}$/.test(header.keyId)) {
    throw malformed("its header's ephemeralKey or keyId is not lowercase 0x-hex of the right length");
  }
  return { header, aad };
}

/** Canonical strings (decimal integers, checksummed addresses) so bindings compare exactly. */
function normalizeBinding(b: UpdateBinding, fn: string): BindingFields {
  const uint = (v: unknown, name: string, min: bigint): string => {
    const ok = (typeof v === "bigint" || (typeof v === "number" && Number.isSafeInteger(v))) && BigInt(v) >= min;
    if (!ok) throw flaiError(`${fn}: binding.${name} must be an integer ≥ ${min} (a number or bigint), got ${String(v)}.`);
    return BigInt(v as bigint | number).toString();
  };
  const address = (v: unknown, name: string): string => {
    try {
      return getAddress(v as string);
    } catch {
      throw flaiError(
        `${fn}: binding.${name} must be a 0x-prefixed 20-byte address (if mixed-case, with a valid EIP-55 checksum), ` +
          `got ${JSON.stringify(v)}.`,
      );
    }
  };
  return {
    chainId: uint(b.chainId, "chainId", 1n),
    contract: address(b.contract, "contract"),
    taskId: uint(b.taskId, "taskId", 0n),
    round: uint(b.round, "round", 0n),
    client: address(b.client, "client"),
  };
}

// X25519 through node:crypto (OpenSSL): ~10× faster than a pure-JS scalar multiplication, and the
// same shared secrets (RFC 7748) as @noble/curves for every key either side generates. Raw 32-byte
// keys go in and out through the fixed DER prefixes of PKCS#8 and SPKI for OID 1.3.101.110.
const PKCS8_X25519 = Buffer.from("302e020100300506032b656e04220420", "hex");
const SPKI_X25519 = Buffer.from("302a300506032b656e032100", "hex");

function x25519PrivateKey(secret: Uint8Array): KeyObject {
  return createPrivateKey({ key: Buffer.concat([PKCS8_X25519, secret]), format: "der", type: "pkcs8" });
}

function x25519PublicKey(publicKey: Uint8Array): KeyObject {
  return createPublicKey({ key: Buffer.concat([SPKI_X25519, publicKey]), format: "der", type: "spki" });
}

function rawPublicKey(key: KeyObject): Uint8Array {
  return new Uint8Array(key.export({ format: "der", type: "spki" }).subarray(SPKI_X25519.length));
}

function deriveKey(shared: Uint8Array, ephemeralPub: Uint8Array, enclavePub: Uint8Array): Buffer {
  const salt = new Uint8Array(64);
  salt.set(ephemeralPub, 0);
  salt.set(enclavePub, 32);
  return Buffer.from(hkdfSync("sha256", shared, salt, INFO, 32));
}

function readKey(hex: string, what: string): Uint8Array {
  if (typeof hex !== "string" || !/^(0x)?[0-9a-fA-F]{64}$/.test(hex)) {
    throw flaiError(`${what} must be 32 bytes of hex (64 hex digits, 0x optional), got ${describe(hex)}.`);
  }
  return fromHex(hex);
}

function fromHex(hex: string): Uint8Array {
  return new Uint8Array(Buffer.from(hex.startsWith("0x") ? hex.slice(2) : hex, "hex"));
}

function toHex(bytes: Uint8Array): string {
  return "0x" + Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("hex");
}

function describe(v: unknown): string {
  return typeof v === "string" ? `${v.length} characters` : typeof v;
}
