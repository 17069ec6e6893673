import { computeRoot } from "../storage/merkle.js";

/** Entries kept: a round reads one evaluation set; two cover a process that serves two tasks in turn. */
const MAX_ENTRIES = 2;

interface Entry {
  /** Bytes this worker itself checked against `root`. */
  bytes: Uint8Array;
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
 * next call. The host is untrusted, so the bytes are checked on every call; what the cache saves is
 * the keccak tree and the parse. A cached entry is used only when the handed bytes equal, byte for
 * byte, bytes this worker already rooted itself (a memory compare, ~100× cheaper than the tree), so
 * it can never let other bytes in; anything else is rooted in full. Keyed by root and `parseKey`
 * (what else the parse depends on), a cached parse cannot go stale: the same bytes parse the same.
 */
export function parseVerified<T>(
  root: string,
  bytes: Uint8Array,
  parseKey: string,
  parse: (bytes: Uint8Array) => T,
  mismatch: () => Error,
): T {
  const key = `${root}\n${parseKey}`;
  const cached = entries.get(key);
  if (cached !== undefined && Buffer.from(cached.bytes.buffer, cached.bytes.byteOffset, cached.bytes.byteLength).equals(bytes)) {
    entries.delete(key); // re-inserted last: the map's order is least recently used first
    entries.set(key, cached);
    return cached.parsed as T;
  }
  if (computeRoot(bytes) !== root) throw mismatch();
  const parsed = parse(bytes);
  entries.set(key, { bytes, parsed });
  while (entries.size > MAX_ENTRIES) entries.delete(entries.keys().next().value!);
  return parsed;
}
