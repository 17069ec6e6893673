import { computeRoot } from "../storage/merkle.js";

/** Entries kept: a round reads one evaluation set; two cover a process that serves two tasks in turn. */
const MAX_ENTRIES = 2;

interface Entry {
  /**
   * The parse of bytes this worker itself checked against the entry's root. The bytes are not kept:
   * next to their parse they would hold an evaluation set twice (~180 MB each at 24 rows × 1e6
   * features; bench/e2e/memory.ts).
   */
  parsed: unknown;
}

const entries = new Map<string, Entry>();

/**
 * Inside the enclave: the parse of bytes this worker itself checked against `root` earlier (with the
 * same `parseKey`), or undefined. For a host that sends no bytes when the enclave already holds them.
 */
export function cachedParse<T>(root: string, parseKey: string): T | undefined {
  const key = `${root}\n${parseKey}`;
  const cached = entries.get(key);
  if (cached === undefined) return undefined;
  entries.delete(key);
  entries.set(key, cached);
  return cached.parsed as T;
}

/**
 * Inside the enclave: `bytes` checked against `root`, parsed by `parse`, with the parse kept for the
 * next call. The host is untrusted, so bytes are rooted on every call that hands them; what the
 * cache saves then is the parse (a host that knows this worker holds the set sends none:
 * cachedParse). Bytes with another root are refused, so a cached parse can never let other bytes in.
 * Keyed by root and `parseKey` (what else the parse depends on), a cached parse cannot go stale: the
 * same bytes parse the same.
 */
export function parseVerified<T>(
  root: string,
  bytes: Uint8Array,
  parseKey: string,
  parse: (bytes: Uint8Array) => T,
  mismatch: () => Error,
): T {
  const key = `${root}\n${parseKey}`;
  if (computeRoot(bytes) !== root) throw mismatch();
  const cached = entries.get(key);
  if (cached !== undefined) {
    entries.delete(key); // re-inserted last: the map's order is least recently used first
    entries.set(key, cached);
    return cached.parsed as T;
  }
  const parsed = parse(bytes);
  entries.set(key, { parsed });
  while (entries.size > MAX_ENTRIES) entries.delete(entries.keys().next().value!);
  return parsed;
}
