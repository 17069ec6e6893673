import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/types";

/** N copies of T as a tuple type: `Tuple<S, 3>` is `[S, S, S]`. */
type Tuple<T, N extends number, R extends T[] = []> = R["length"] extends N ? R : Tuple<T, N, [...R, T]>;

/**
 * The first `count` accounts of a connection, typed as a tuple so destructuring needs no `!`
 * (noUncheckedIndexedAccess). Throws when the network has fewer: a test that needs a third account
 * says so instead of reading `undefined.address`.
 */
export async function signers<N extends number>(
  connection: { ethers: { getSigners(): Promise<HardhatEthersSigner[]> } },
  count: N,
): Promise<Tuple<HardhatEthersSigner, N>> {
  const all = await connection.ethers.getSigners();
  if (all.length < count) throw new Error(`this test needs ${count} accounts; the network has ${all.length}`);
  return all.slice(0, count) as Tuple<HardhatEthersSigner, N>;
}
