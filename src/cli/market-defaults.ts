import { flaiError } from "../errors.js";
import type { FlaiMarket } from "../market/client.js";
import type { MarketOptions } from "../market/types.js";
import { optionalText } from "./options.js";

/** The seed's environment defaults: FLAI_PROVIDER, FLAI_PROMPT, FLAI_LEDGER_OG. */
export const DEFAULT_PROMPT = "Say hello from FLAI on 0G.";

// `value` is the option as typed (undefined when left out): a typed value always wins over the
// environment, and a typed empty value is an error rather than a silent fall-back.

export function promptOr(value: string | undefined): string {
  return optionalText(value, "--prompt") ?? process.env.FLAI_PROMPT ?? DEFAULT_PROMPT;
}

/**
 * The ledger amount the user asked for (--ledger, else FLAI_LEDGER_OG), or undefined: then setup
 * opens a new ledger with the minimum (3 0G) and leaves an existing one as it is. An amount the user
 * gave is never raised silently; below the minimum for a new ledger it is an error.
 */
export function ledgerOr(value: string | undefined): string | undefined {
  const env = process.env.FLAI_LEDGER_OG;
  return optionalText(value, "--ledger") ?? (env !== undefined && env !== "" ? env : undefined);
}

/** --provider, else FLAI_PROVIDER, else the first provider the marketplace lists. */
export async function providerOr(value: string | undefined, market: FlaiMarket, opts: MarketOptions): Promise<string> {
  const typed = optionalText(value, "--provider");
  if (typed !== undefined) return typed;
  if (process.env.FLAI_PROVIDER !== undefined && process.env.FLAI_PROVIDER !== "") return process.env.FLAI_PROVIDER;
  const [first] = await market.discover(opts);
  if (first === undefined) {
    throw flaiError("The marketplace lists no providers on this network; pass --provider 0x… or set FLAI_PROVIDER.");
  }
  return first.provider;
}
