import { createPublicKey, hkdfSync } from "node:crypto";

import { flaiError } from "../errors.js";
import { hexBytes, toHex } from "./hex.js";
import { rawPublicKey, x25519PrivateKeyObject } from "./x25519.js";

/**
 * A party's reader key: the X25519 pair others seal artifacts and wrap task keys to. It is derived
 * from the account's own private key, so there is no new secret to store, back up or lose: whoever
 * holds the account (network config, mnemonic, dev node) can always re-derive it, on any machine.
 * HKDF with a fixed salt and info separates it from every other use of the account key.
 */
export interface ReaderKeyPair {
  /** Raw 32-byte X25519 private key. */
  secret: Uint8Array;
  /** Raw X25519 public key as 0x + 64 lowercase hex: the form registered on-chain (bytes32). */
  publicKey: string;
}

const SALT = "hardhat-flai";
const INFO = "reader-key/v1";

/** The reader key pair of the account whose secp256k1 private key (0x + 64 hex) is given. */
export function readerKeyFromAccountKey(accountPrivateKey: string): ReaderKeyPair {
  // Keys are written with or without 0x (Hardhat accepts both); the digits decide, never the prefix.
  const digits = typeof accountPrivateKey === "string" ? accountPrivateKey.replace(/^0[xX]/, "") : accountPrivateKey;
  const ikm = hexBytes("0x" + String(digits), 32, "An account private key (to derive its reader key)");
  const secret = new Uint8Array(hkdfSync("sha256", ikm, SALT, INFO, 32));
  return { secret, publicKey: x25519Public(secret) };
}

/** The X25519 public key (0x + 64 lowercase hex) of a raw 32-byte secret. */
export function x25519Public(secret: Uint8Array): string {
  if (!(secret instanceof Uint8Array) || secret.length !== 32) {
    throw flaiError(`An X25519 secret must be 32 bytes, got ${secret instanceof Uint8Array ? secret.length : typeof secret}.`);
  }
  return toHex(rawPublicKey(createPublicKey(x25519PrivateKeyObject(secret))));
}
