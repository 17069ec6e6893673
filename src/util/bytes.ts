/**
 * A byte string, whole or as parts whose concatenation it is. Parts let a large payload move
 * through a pipeline (seal → open → decode) as the 1 MiB pieces node:crypto hands out, which the
 * allocator reuses, instead of one fresh 64 MiB buffer per step that costs its page faults.
 */
export type Bytes = Uint8Array | readonly Uint8Array[];

/** Random access over the parts of a `Bytes`, without copying where a range lies in one part. */
export class ByteReader {
  readonly length: number;
  readonly #parts: readonly Uint8Array[];
  readonly #starts: number[];

  constructor(bytes: Bytes) {
    this.#parts = bytes instanceof Uint8Array ? [bytes] : bytes;
    this.#starts = [];
    let at = 0;
    for (const part of this.#parts) {
      this.#starts.push(at);
      at += part.length;
    }
    this.length = at;
  }

  /** Views covering [start, end), in order; empty for an empty range. */
  pieces(start: number, end: number): Uint8Array[] {
    if (start < 0 || end > this.length || start > end) throw new RangeError(`bytes [${start}, ${end}) of ${this.length}`);
    const out: Uint8Array[] = [];
    for (let i = this.#partAt(start), at = start; at < end; i++) {
      const part = this.#parts[i]!;
      const from = at - this.#starts[i]!;
      const to = Math.min(part.length, end - this.#starts[i]!);
      if (to > from) out.push(part.subarray(from, to));
      at = this.#starts[i]! + to;
    }
    return out;
  }

  /** [start, end) as one array: a view when it lies in one part, else a copy. */
  slice(start: number, end: number): Uint8Array {
    const pieces = this.pieces(start, end);
    return pieces.length === 1 ? pieces[0]! : concatBytes(pieces);
  }

  /** Index of the last part starting at or before `offset` (binary search over the starts). */
  #partAt(offset: number): number {
    let lo = 0;
    let hi = this.#starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.#starts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }
}

/** The bytes as one contiguous array (the array itself when it already is one). */
export function concatBytes(bytes: Bytes): Uint8Array {
  if (bytes instanceof Uint8Array) return bytes;
  if (bytes.length === 1) return bytes[0]!;
  const out = new Uint8Array(bytes.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of bytes) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}
