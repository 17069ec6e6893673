import type { FlaiMarketSettings } from "../config.js";
import { flaiError } from "../errors.js";
import type { FlaiMarket } from "../market/client.js";
import { marketLedger, marketPrompt, marketProvider } from "../market/settings.js";
import type { MarketOptions } from "../market/types.js";
import { optionalText } from "./options.js";

// `value` is the option as typed (undefined when left out): a typed value always wins over
// flai.market and the environment (src/market/settings.ts has the order), and a typed empty value is
// an error rather than a silent fall-back.

export function promptOr(value: string | undefined, settings: FlaiMarketSettings): string {
  return marketPrompt(optionalText(value, "--prompt"), settings);
}

/**
 * The ledger amount the user asked for (--ledger, flai.market.ledger, FLAI_LEDGER_OG), or undefined:
 * then setup opens a new ledger with the minimum (3 0G) and leaves an existing one as it is. An amount
 * the user gave is never raised silently; below the minimum for a new ledger it is an error.
 */
export function ledgerOr(value: string | undefined, settings: FlaiMarketSettings): string | undefined {
  return marketLedger(optionalText(value, "--ledger"), settings);
}

/** --provider, flai.market.provider, FLAI_PROVIDER, else the first provider the marketplace lists. */
export async function providerOr(
  value: string | undefined,
  settings: FlaiMarketSettings,
  market: FlaiMarket,
  opts: MarketOptions,
): Promise<string> {
  const chosen = marketProvider(optionalText(value, "--provider"), settings);
  if (chosen !== undefined) return chosen;
  const [first] = await market.discover(opts);
  if (first === undefined) {
    throw flaiError(
      "The marketplace lists no providers on this network; pass --provider 0x…, set flai.market.provider in hardhat.config.ts, or set FLAI_PROVIDER.",
    );
  }
  return first.provider;
}
