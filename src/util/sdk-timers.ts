/**
 * The 0G compute SDK races every transaction's receipt against a 300 s setTimeout it never clears,
 * which keeps a finished `npx hardhat` command (or test run) alive for five minutes. While an SDK
 * call runs, long timers are unref'd: they still fire if something else keeps the process alive.
 */
export async function unrefLongTimers<T>(work: () => Promise<T>): Promise<T> {
  const original = globalThis.setTimeout;
  const patched = ((handler: () => void, delay?: number, ...args: unknown[]) => {
    const timer = (original as (...a: unknown[]) => NodeJS.Timeout)(handler, delay, ...args);
    if ((delay ?? 0) >= 60_000) timer.unref();
    return timer;
  }) as typeof setTimeout;
  globalThis.setTimeout = Object.assign(patched, original);
  try {
    return await work();
  } finally {
    globalThis.setTimeout = original;
  }
}
