import { flaiError } from "../errors.js";

// Hardhat turns a key's hex into bytes leniently: 63 hex digits become 31 bytes and sign as another,
// valid account (issue 15), so a typo or a truncated paste would silently send from an address
// nobody meant. A key is checked here first; a bad one is described by its shape, never shown.

/** secp256k1's group order: a private key is a whole number from 1 to N − 1. */
const SECP256K1_N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;

/** Why `value` is not a private key, or undefined when it is one (32 bytes: 64 hex digits, optionally after 0x). */
export function privateKeyProblem(value: string): string | undefined {
  const digits = value.startsWith("0x") || value.startsWith("0X") ? value.slice(2) : value;
  if (!/^[0-9a-fA-F]*$/.test(digits)) {
    return `it has characters that are not hex digits (${value.length} characters in all)`;
  }
  if (digits.length !== 64) {
    return `it has ${digits.length} hex digits, not 64`;
  }
  const scalar = BigInt("0x" + digits);
  if (scalar === 0n) return "it is zero, which no account has";
  if (scalar >= SECP256K1_N) return "it is not below the secp256k1 group order, which no account has";
  return undefined;
}

/** Throws a plugin error naming where the key came from (`source`) and what is wrong with it, never the key. */
export function assertPrivateKey(value: string, source: string): void {
  const problem = privateKeyProblem(value);
  if (problem === undefined) return;
  throw flaiError(
    `${source} is not a private key: ${problem}. A private key is 32 bytes, written as 64 hex digits ` +
      `(optionally after 0x). Check it was copied whole (the key itself is not shown here).`,
  );
}
