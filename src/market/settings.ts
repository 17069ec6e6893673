import type { FlaiMarketSettings } from "../config.js";

/**
 * The market tasks' defaults, resolved in one order: the option typed on the command line, then
 * flai.market in hardhat.config.ts, then the environment variable (kept as a fallback: the seed read
 * its defaults from these, and users may still set them), then the built-in default. Plain config for
 * settings, as the Hardhat plugins do; nothing here is a secret, so no configVariable.
 *
 * Pure: the environment is a parameter (process.env by default), so the order is unit-tested.
 */
export const MARKET_ENV = { provider: "FLAI_PROVIDER", prompt: "FLAI_PROMPT", ledger: "FLAI_LEDGER_OG" } as const;

export const DEFAULT_PROMPT = "Say hello from FLAI on 0G.";

type Env = Readonly<Record<string, string | undefined>>;

/**
 * `typed` is the option as given (undefined when left out), already checked non-empty by the task.
 * An empty FLAI_PROVIDER or FLAI_LEDGER_OG counts as unset, as it did before the config had these.
 */
export function marketProvider(typed: string | undefined, market: FlaiMarketSettings, env: Env = process.env): string | undefined {
  return typed ?? market.provider ?? nonEmpty(env[MARKET_ENV.provider]);
}

/** FLAI_PROMPT is taken as set, even empty, as before. */
export function marketPrompt(typed: string | undefined, market: FlaiMarketSettings, env: Env = process.env): string {
  return typed ?? market.prompt ?? env[MARKET_ENV.prompt] ?? DEFAULT_PROMPT;
}

/** Undefined: setup opens a new ledger with the minimum and leaves an existing one as it is. */
export function marketLedger(typed: string | undefined, market: FlaiMarketSettings, env: Env = process.env): string | undefined {
  return typed ?? market.ledger ?? nonEmpty(env[MARKET_ENV.ledger]);
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === "" ? undefined : value;
}
