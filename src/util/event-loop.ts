/**
 * Resolves after one turn of the event loop (its poll phase included): I/O that arrived while the
 * thread was busy is handled first. In particular a keep-alive connection the server closed during a
 * long synchronous step is seen closed and dropped from its pool, so a request sent after this goes
 * out on a live connection instead of the dead one (see src/chain/keep-alive.ts).
 */
export function afterPendingIo(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
