/**
 * Settlement as the user can observe it. Providers settle on their own schedule with
 * settleFeesWithTEE, which raises the user's sub-account nonce with that provider and takes the
 * fees out of the ledger; the provider's word that it "settled" is not evidence, the chain is.
 */
export interface SettlementMark {
  /** The sub-account's settlement nonce (0 before the first settlement or without a sub-account). */
  nonce: bigint;
  /** Ledger total in neuron (what the user holds, including what sits with providers). */
  ledgerTotal: bigint;
}

export interface SettlementObservation {
  /** True when the chain shows at least one settlement by this provider since `before`. */
  settled: boolean;
  /**
   * What the ledger lost since `before` when a settlement was observed (0 otherwise). It may cover
   * earlier requests too: a batch settles everything unpaid at once.
   */
  amount: bigint;
  before: SettlementMark;
  after: SettlementMark;
}

export function observeSettlement(before: SettlementMark, after: SettlementMark): SettlementObservation {
  const settled = after.nonce > before.nonce;
  const taken = before.ledgerTotal - after.ledgerTotal;
  return { settled, amount: settled && taken > 0n ? taken : 0n, before, after };
}
