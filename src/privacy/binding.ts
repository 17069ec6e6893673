import { getAddress } from "ethers/address";

import { flaiError } from "../errors.js";

// Canonical spellings for what keys and artifacts are bound to: decimal strings for integers and
// EIP-55 checksummed addresses, so the two ends of a derivation (and a MAC) hash the same bytes
// however a caller wrote a value (bigint or number, lowercase or checksummed address).

/** A non-negative integer (bigint or safe number) as a decimal string; `min` bounds it below. */
export function canonicalUint(value: unknown, what: string, min = 0n): string {
  const ok = (typeof value === "bigint" || (typeof value === "number" && Number.isSafeInteger(value))) && BigInt(value) >= min;
  if (!ok) throw flaiError(`${what} must be an integer ≥ ${min} (a number or bigint), got ${String(value)}.`);
  return BigInt(value as bigint | number).toString();
}

/** An address, checksummed; anything else (or a mixed-case address with a bad checksum) is refused. */
export function canonicalAddress(value: unknown, what: string): string {
  try {
    return getAddress(value as string);
  } catch {
    throw flaiError(
      `${what} must be a 0x-prefixed 20-byte address (if mixed-case, with a valid EIP-55 checksum), got ${JSON.stringify(value)}.`,
    );
  }
}
