/** A loop turn longer than this ran a long synchronous step somewhere in it. */
const QUICK_TURN_MS = 50;
/** Bounded: a process busy in every turn still sends its request (then on the ordinary race only). */
const MAX_TURNS = 4;

/**
 * Resolves once the event loop has turned (its poll phase included) with no long synchronous step
 * after that poll: I/O that arrived while the thread was busy has been handled. In particular a
 * keep-alive connection the server closed during a long step is seen closed and dropped from its
 * pool, so a request sent after this goes out on a live connection instead of the dead one (see
 * src/chain/keep-alive.ts). One turn is enough after the caller's own busy step; when a turn itself
 * was long (another callback queued before ours was busy, after that turn's poll), one more is taken.
 */
export async function afterPendingIo(): Promise<void> {
  for (let turn = 0; turn < MAX_TURNS; turn++) {
    const start = performance.now();
    await new Promise((resolve) => setImmediate(resolve));
    if (performance.now() - start < QUICK_TURN_MS) {
      return;
    }
  }
}
