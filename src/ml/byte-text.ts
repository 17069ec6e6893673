// Reading a dataset's text straight from its bytes (issue 15: a CSV or JSON dataset is never decoded
// into one JavaScript string, which took ~9× the file in memory and stopped at ~512 MB). Only the
// pieces a parser needs (a header name, a label, a cell that is not a plain number) become strings.
import { Buffer, isUtf8 } from "node:buffer";
import { flaiError } from "../errors.js";

/** `bytes` as a Buffer over the same memory (no copy), for its native decoders. */
export function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/**
 * Offset of the text after any leading byte-order marks; throws, as decodeUtf8 does, unless the
 * bytes are valid UTF-8. (TextDecoder drops one BOM and decodeUtf8 a second one, so two are skipped.)
 */
export function utf8TextStart(bytes: Uint8Array, source: string): number {
  if (!isUtf8(bytes)) {
    throw flaiError(
      `${source} is not valid UTF-8 text. Save the dataset as UTF-8 JSON or CSV, or as NumPy .npz (np.savez(path, X=X, y=y)).`,
    );
  }
  let start = 0;
  for (let k = 0; k < 2 && bytes[start] === 0xef && bytes[start + 1] === 0xbb && bytes[start + 2] === 0xbf; k++) start += 3;
  return start;
}

/** Whether byte `c` is one of the ASCII characters String.prototype.trim and /\s/ remove. */
export function isAsciiSpace(c: number): boolean {
  return c === 0x20 || (c >= 0x09 && c <= 0x0d);
}

const WHITESPACE = /^\s$/u;

/** Offset of the first character in bytes [start, end) that /\s/ does not match, or -1 (valid UTF-8). */
export function firstNonSpace(bytes: Uint8Array, start: number, end = bytes.length): number {
  const buffer = asBuffer(bytes);
  let i = start;
  while (i < end) {
    const c = bytes[i]!;
    if (c < 0x80) {
      if (!isAsciiSpace(c)) return i;
      i++;
      continue;
    }
    const length = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : 2;
    if (!WHITESPACE.test(buffer.toString("utf8", i, i + length))) return i;
    i += length;
  }
  return -1;
}

/** Whether bytes [start, end) are all ASCII (so one byte is one character). */
export function isAscii(bytes: Uint8Array, start: number, end: number): boolean {
  for (let i = start; i < end; i++) if (bytes[i]! >= 0x80) return false;
  return true;
}

/** Text of bytes [start, end) of valid UTF-8; a piece too long for a string is a user error naming `what`. */
export function decodeRange(bytes: Uint8Array, start: number, end: number, what: () => string): string {
  try {
    return asBuffer(bytes).toString("utf8", start, end);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ERR_STRING_TOO_LONG") throw error;
    throw flaiError(
      `${what()} is ${end - start} bytes long, more than one text value can hold (about 512 MB). ` +
        `Remove it, or save the dataset as NumPy .npz (np.savez(path, X=X, y=y)).`,
      error,
    );
  }
}

/** 10^0 … 10^22: every one exactly representable as a double. */
const EXACT_POWERS = Array.from({ length: 23 }, (_, k) => Number(`1e${k}`));
/** At most this many significant digits keep the mantissa an exact integer (< 2^53). */
const EXACT_DIGITS = 15;

/**
 * The number a plain decimal in bytes [start, end) denotes, or undefined when this fast path cannot
 * tell exactly (then the caller converts the text with Number()). Accepts [+-]digits[.digits][e[+-]digits]
 * with at most 15 significant digits and a power of ten within 10^±22: the mantissa and the power are
 * then exact doubles and one IEEE multiplication or division rounds correctly, so the result is
 * bit-for-bit what Number() and JSON.parse give. `json` applies JSON's grammar (no "+", no leading
 * zeros, digits on both sides of the point) instead of the CSV DECIMAL one.
 */
export function scanDecimal(bytes: Uint8Array, start: number, end: number, json: boolean): number | undefined {
  let i = start;
  let negative = false;
  if (bytes[i] === 0x2d) {
    negative = true;
    i++;
  } else if (bytes[i] === 0x2b && !json) i++;
  let mantissa = 0;
  let significant = 0;
  let intDigits = 0;
  const intStart = i;
  for (; i < end; i++) {
    const d = bytes[i]! - 0x30;
    if (d < 0 || d > 9) break;
    if (significant > 0 || d !== 0) significant++;
    mantissa = mantissa * 10 + d;
    intDigits++;
  }
  if (json && (intDigits === 0 || (intDigits > 1 && bytes[intStart] === 0x30))) return undefined;
  let fracDigits = 0;
  if (i < end && bytes[i] === 0x2e) {
    i++;
    for (; i < end; i++) {
      const d = bytes[i]! - 0x30;
      if (d < 0 || d > 9) break;
      if (significant > 0 || d !== 0) significant++;
      mantissa = mantissa * 10 + d;
      fracDigits++;
    }
    if (json && fracDigits === 0) return undefined;
  }
  if (intDigits + fracDigits === 0 || significant > EXACT_DIGITS) return undefined;
  let exponent = 0;
  if (i < end && (bytes[i] === 0x65 || bytes[i] === 0x45)) {
    i++;
    let expNegative = false;
    if (bytes[i] === 0x2d || bytes[i] === 0x2b) expNegative = bytes[i++] === 0x2d;
    const expStart = i;
    for (; i < end; i++) {
      const d = bytes[i]! - 0x30;
      if (d < 0 || d > 9) break;
      exponent = exponent * 10 + d;
    }
    if (i === expStart || i - expStart > 4) return undefined;
    if (expNegative) exponent = -exponent;
  }
  if (i !== end) return undefined;
  let value: number;
  if (mantissa === 0) value = 0;
  else {
    const power = exponent - fracDigits;
    if (power < -22 || power > 22) return undefined;
    value = power < 0 ? mantissa / EXACT_POWERS[-power]! : mantissa * EXACT_POWERS[power]!;
  }
  return negative ? -value : value;
}
