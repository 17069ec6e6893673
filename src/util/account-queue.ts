/**
 * Every transaction from one account goes out in nonce order: work that sends from an account runs
 * one at a time per account, in the order it asked. Wallets pick the next nonce from the node's
 * pending count, so two sends in flight from one account can take the same nonce ("nonce too low"
 * on 0G). Different accounts still run in parallel.
 */
const tails = new Map<string, Promise<unknown>>();

export async function inAccountOrder<T>(account: string, work: () => Promise<T>): Promise<T> {
  const key = account.toLowerCase();
  const before = tails.get(key) ?? Promise.resolve();
  // The next caller waits for this one to settle either way; a failure is the caller's, not the queue's.
  const mine = before.then(work, work);
  const settled = mine.then(
    () => undefined,
    () => undefined,
  );
  tails.set(key, settled);
  try {
    return await mine;
  } finally {
    if (tails.get(key) === settled) tails.delete(key);
  }
}
