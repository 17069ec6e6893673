import { parseUnits } from "ethers";

import { format0G } from "../chain/amount.js";
import { flaiError } from "../errors.js";

/**
 * The least a new 0G compute ledger may hold: LedgerProcessor.MIN_LEDGER_BALANCE_OG in the compute
 * SDK, matching the LedgerManager contract's MIN_ACCOUNT_BALANCE (test/market/market.test.ts checks the
 * SDK still says so).
 */
export const MIN_LEDGER_OG = 3;
export const MIN_LEDGER = parseUnits(String(MIN_LEDGER_OG), 18);

/**
 * What setup deposits, in neuron. A new ledger opens with the amount asked for, or the minimum when
 * none was given; an amount below the minimum is refused rather than silently raised (the user
 * typed it). An existing ledger is topped up to the amount asked for, by any amount.
 */
export function ledgerDeposit(current: bigint | undefined, want: bigint | undefined): { deposit: bigint; openedWithMinimum: boolean } {
  if (current === undefined) {
    if (want === undefined) return { deposit: MIN_LEDGER, openedWithMinimum: true };
    if (want < MIN_LEDGER) {
      throw flaiError(
        `--ledger ${format0G(want)} is below the minimum of ${MIN_LEDGER_OG} 0G needed to open a 0G compute ledger ` +
          `(the LedgerManager contract and the compute SDK's MIN_LEDGER_BALANCE_OG). Nothing was sent. ` +
          `Pass --ledger ${MIN_LEDGER_OG} or more (or set FLAI_LEDGER_OG), or leave it out to open the ledger with exactly ${MIN_LEDGER_OG} 0G.`,
      );
    }
    return { deposit: want, openedWithMinimum: false };
  }
  return { deposit: want !== undefined && current < want ? want - current : 0n, openedWithMinimum: false };
}
