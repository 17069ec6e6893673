import { flaiError } from "../errors.js";

/** `0x` + lowercase hex: the one spelling keys and nonces are written in, so they compare as strings. */
export function toHex(bytes: Uint8Array): string {
  return "0x" + Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("hex");
}

/**
 * Exactly `size` bytes from `0x` + hex (lowercase or uppercase digits). Strict: a key or nonce of the
 * wrong length or with stray characters is refused, never silently shortened (Buffer.from(..., "hex")
 * stops at the first bad digit).
 */
export function hexBytes(value: unknown, size: number, what: string): Uint8Array {
  if (typeof value !== "string" || !new RegExp(`^0x[0-9a-fA-F]{${size * 2}}$`).test(value)) {
    const shape = typeof value === "string" ? `${value.length} characters` : typeof value;
    throw flaiError(`${what} must be 0x followed by ${size * 2} hex digits (${size} bytes), got ${shape}.`);
  }
  return new Uint8Array(Buffer.from(value.slice(2), "hex"));
}
