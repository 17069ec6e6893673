import { createCipheriv, createHmac, hkdfSync, timingSafeEqual } from "node:crypto";

import { flaiError } from "../errors.js";
import { canonicalJson } from "../ml/model.js";
import { canonicalAddress, canonicalUint } from "./binding.js";

/**
 * What an artifact is: sealed under it, so ciphertext cannot be moved to another chain, contract,
 * job or task, kind or round (opening it there fails authentication).
 * `id` is the job id or task id (0 for a job's inputs and a task's initial model and evaluation set,
 * sealed before the job or task exists); `round` is the federated round (0 for job artifacts and a
 * task's initial model and evaluation set).
 */
export interface ArtifactBinding {
  chainId: bigint;
  contract: string;
  kind: ArtifactKind;
  id: bigint;
  round: number;
}
export type ArtifactKind = "job-data" | "job-model" | "job-result" | "task-initial-model" | "task-model" | "task-evaluation";

const KINDS: ReadonlySet<string> = new Set(["job-data", "job-model", "job-result", "task-initial-model", "task-model", "task-evaluation"]);

// The 0G storage SDK's v1 symmetric format (@0gfoundation/0g-ts-sdk common/encryption.ts, Go client
// alike): version byte 0x01 | 16-byte nonce | AES-256-CTR(key, counter = nonce, +1 per 16-byte block,
// big-endian 128-bit) of the plaintext. Writing exactly that lets 0G's own tools (decryptFile, the
// downloader's withSymmetricKey) open our artifacts with the key. The SDK format has no MAC; ours makes
// the nonce one (SIV): nonce = HMAC-SHA256(K_mac, len(binding) | binding | plaintext)[0..16], so
// opening recomputes it and a wrong key, altered bytes or another binding are refused. The cost is
// determinism: under one key and binding, equal plaintexts give equal ciphertexts (they reveal only
// that equality — which their on-chain plaintext hashes reveal anyway).
export const ARTIFACT_VERSION = 1;
export const ARTIFACT_HEADER_SIZE = 17;
const NONCE = 16;
const MAC_INFO = "hardhat-flai/artifact-mac/v1";
const MAC_SALT = "hardhat-flai";
// Crypto runs over 1 MiB pieces copied into the one preallocated output: node:crypto returns a fresh
// buffer per update, and pieces this size stay in cache (and are reused by the allocator) where one
// 64 MiB update would fault in a second 64 MiB buffer.
const PIECE = 1 << 20;

/** Seals `plaintext` under the 32-byte `key` for `binding`: header (17 bytes) then ciphertext, one buffer. */
export function sealArtifact(plaintext: Uint8Array, key: Uint8Array, binding: ArtifactBinding): Uint8Array {
  checkKey(key, "sealArtifact");
  const nonce = macNonce(key, binding, plaintext);
  const out = new Uint8Array(ARTIFACT_HEADER_SIZE + plaintext.length);
  out[0] = ARTIFACT_VERSION;
  out.set(nonce, 1);
  ctrInto(key, nonce, plaintext, out, ARTIFACT_HEADER_SIZE);
  return out;
}

/**
 * Opens a sealed artifact: decrypts, then checks the nonce is the MAC of (binding, plaintext). Nothing
 * is returned unless it is: codes "artifact-not-encrypted" (not in the sealed format at all: e.g. a
 * public plaintext artifact) and "artifact-not-authentic" (wrong key, another binding, or altered or
 * truncated bytes — the SIV cannot tell these apart, by design). `where` names the artifact in errors.
 */
export function openArtifact(bytes: Uint8Array, key: Uint8Array, binding: ArtifactBinding, where: string): Uint8Array {
  checkKey(key, "openArtifact");
  const bindingText = bindingBytes(binding);
  if (!isSealedArtifact(bytes)) {
    throw flaiError(
      `${where} is not an encrypted artifact (it does not start with the 0G v1 encryption header: version byte 0x01 and a ` +
        `16-byte nonce). It was stored in plaintext (a --public job or task) or is not the artifact the chain names.`,
      undefined,
      { code: "artifact-not-encrypted" },
    );
  }
  const nonce = bytes.subarray(1, ARTIFACT_HEADER_SIZE);
  const plaintext = new Uint8Array(bytes.length - ARTIFACT_HEADER_SIZE);
  ctrInto(key, nonce, bytes.subarray(ARTIFACT_HEADER_SIZE), plaintext, 0);
  if (!timingSafeEqual(macNonceOf(key, bindingText, plaintext), nonce)) {
    plaintext.fill(0); // whatever came out is not released, not even left in memory
    throw flaiError(
      `${where} failed authentication: it was sealed under another key or for another ${describeBinding(binding)}, ` +
        `or its bytes were altered or cut short. Check the key is the reader's for this artifact and that the storage ` +
        `root is the one the chain records.`,
      undefined,
      { code: "artifact-not-authentic" },
    );
  }
  return plaintext;
}

/**
 * Whether `bytes` have the sealed format's shape (version 0x01 and a whole header). Shape only: only
 * openArtifact with the key says they are authentic. Plaintext artifacts flai writes (JSON, CSV, npz)
 * never start with 0x01.
 */
export function isSealedArtifact(bytes: Uint8Array): boolean {
  return bytes.length >= ARTIFACT_HEADER_SIZE && bytes[0] === ARTIFACT_VERSION;
}

/** The canonical JSON of a binding, as UTF-8: what the MAC covers (and so what opening must match). */
export function bindingBytes(binding: ArtifactBinding): Uint8Array {
  if (!KINDS.has(binding.kind)) {
    throw flaiError(`An artifact binding's kind must be one of ${[...KINDS].join(", ")}, got ${JSON.stringify(binding.kind)}.`);
  }
  const text = canonicalJson({
    chainId: canonicalUint(binding.chainId, "An artifact binding's chainId", 1n),
    contract: canonicalAddress(binding.contract, "An artifact binding's contract"),
    kind: binding.kind,
    id: canonicalUint(binding.id, "An artifact binding's id"),
    round: canonicalUint(binding.round, "An artifact binding's round"),
  });
  return new TextEncoder().encode(text);
}

function macNonce(key: Uint8Array, binding: ArtifactBinding, plaintext: Uint8Array): Uint8Array {
  return macNonceOf(key, bindingBytes(binding), plaintext);
}

/** HMAC-SHA256(K_mac, uint32 BE binding length | binding | plaintext), first 16 bytes. */
function macNonceOf(key: Uint8Array, binding: Uint8Array, plaintext: Uint8Array): Uint8Array {
  const macKey = new Uint8Array(hkdfSync("sha256", key, MAC_SALT, MAC_INFO, 32));
  const length = new Uint8Array(4);
  new DataView(length.buffer).setUint32(0, binding.length);
  const hmac = createHmac("sha256", macKey).update(length).update(binding);
  // HMAC streams whole views without copying; one update over the whole plaintext is one pass.
  hmac.update(plaintext);
  return new Uint8Array(hmac.digest().subarray(0, NONCE));
}

/** AES-256-CTR of `input` (counter starts at `nonce`) written into `out` from `at`, piece by piece. */
function ctrInto(key: Uint8Array, nonce: Uint8Array, input: Uint8Array, out: Uint8Array, at: number): void {
  // Encryption and decryption are the same XOR with the keystream, so one cipher serves both.
  const cipher = createCipheriv("aes-256-ctr", key, nonce);
  for (let from = 0; from < input.length; from += PIECE) {
    const piece = cipher.update(input.subarray(from, Math.min(input.length, from + PIECE)));
    out.set(piece, at + from);
  }
  cipher.final();
}

function checkKey(key: Uint8Array, fn: string): void {
  if (!(key instanceof Uint8Array) || key.length !== 32) {
    throw flaiError(`${fn}: the artifact key must be 32 bytes, got ${key instanceof Uint8Array ? key.length : typeof key}.`);
  }
}

function describeBinding(b: ArtifactBinding): string {
  return `${String(b.kind)} (id ${String(b.id)}, round ${String(b.round)}, contract ${String(b.contract)}, chain ${String(b.chainId)})`;
}
