/**
 * Promise.all for two independent steps, but when both fail the error reported is the first one's,
 * not whichever lost the race: the same bad input always gives the same message.
 */
export async function bothInOrder<A, B>(a: Promise<A>, b: Promise<B>): Promise<[A, B]> {
  const [ra, rb] = await Promise.allSettled([a, b]);
  if (ra.status === "rejected") throw ra.reason;
  if (rb.status === "rejected") throw rb.reason;
  return [ra.value, rb.value];
}
