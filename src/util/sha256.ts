import { createHash } from "node:crypto";

/** `0x` + SHA-256 hex: how the contracts, models, updates and reports name bytes by hash. */
export function sha256Hex(data: Uint8Array | string): string {
  return "0x" + sha256Digest(data);
}

/** SHA-256 as bare hex (file names, key ids, and texts signed as hex). */
export function sha256Digest(data: Uint8Array | string): string {
  return createHash("sha256").update(data).digest("hex");
}
