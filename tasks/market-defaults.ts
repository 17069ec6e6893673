import { flaiError } from "../src/errors.js";
import type { FlaiMarket } from "../src/market/client.js";
import type { MarketOptions } from "../src/market/types.js";

/** The seed's environment defaults: FLAI_PROVIDER, FLAI_PROMPT, FLAI_LEDGER_OG. */
export const DEFAULT_PROMPT = "Say hello from FLAI on 0G.";
export const DEFAULT_LEDGER = "0.10";

export function promptOr(value: string): string {
  return value !== "" ? value : (process.env.FLAI_PROMPT ?? DEFAULT_PROMPT);
}

export function ledgerOr(value: string): string {
  return value !== "" ? value : (process.env.FLAI_LEDGER_OG ?? DEFAULT_LEDGER);
}

/** --provider, else FLAI_PROVIDER, else the first provider the marketplace lists. */
export async function providerOr(value: string, market: FlaiMarket, opts: MarketOptions): Promise<string> {
  if (value !== "") return value;
  if (process.env.FLAI_PROVIDER !== undefined && process.env.FLAI_PROVIDER !== "") return process.env.FLAI_PROVIDER;
  const [first] = await market.discover(opts);
  if (first === undefined) {
    throw flaiError("The marketplace lists no providers on this network; pass --provider 0x… or set FLAI_PROVIDER.");
  }
  return first.provider;
}
