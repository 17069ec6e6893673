import { isFlaiError, flaiError } from "../errors.js";
import { isResponseTimedOut } from "../util/capped-fetch.js";
import { excerpt } from "../util/excerpt.js";
import { isResponseTooLarge, sizeText } from "../util/http-body.js";

/** The seed's troubleshooting, applied: a known failure names its cause and the command that fixes it. */
export function explainMarketError(error: unknown, what: string): Error {
  if (isFlaiError(error)) {
    return error;
  }
  const capped = cappedReadError(error, what);
  if (capped !== undefined) {
    return capped;
  }
  const text = error instanceof Error ? error.message : String(error);
  if (/AccountNotExists|sub-account not found|LedgerNotExists|ledger not exist/i.test(text)) {
    return flaiError(
      `AccountNotExists while ${what}: no ledger or provider sub-account for this account. Run \`npx hardhat flai:market-setup --ledger 3 --provider <address>\` first. (${text})`,
      error,
    );
  }
  if (/insufficient balance|InsufficientBalance|insufficient funds/i.test(text)) {
    return flaiError(
      `Insufficient balance while ${what}: fund the ledger, e.g. \`npx hardhat flai:market-setup --ledger 3\`. (${text})`,
      error,
    );
  }
  if (/revoked|expired|invalid token/i.test(text)) {
    return flaiError(
      `The provider refused the session token while ${what}: ${text}. Request fresh headers (they are regenerated automatically on the next ping).`,
      error,
    );
  }
  if (/signature/i.test(text)) {
    return flaiError(`Invalid signature while ${what}: the provider's answer or token did not verify. (${text})`, error);
  }
  if (/not acknowledged|acknowledge/i.test(text)) {
    return flaiError(
      `The provider is not acknowledged while ${what}: run \`npx hardhat flai:market-setup --provider <address>\`. (${text})`,
      error,
    );
  }
  return flaiError(`0G compute failed while ${what}: ${text}`, error);
}

/**
 * The SDK's own read of a provider's answer stopped by the capped fetch (src/util/capped-fetch.ts):
 * decided by code — the SDK re-throws it as a plain Error with the same own properties
 * (code, url, limit or timeoutMs). The URL is the provider's, from the chain: quoted as an excerpt.
 */
function cappedReadError(error: unknown, what: string): Error | undefined {
  const url = excerpt((error as { url?: unknown } | null)?.url, 120);
  if (isResponseTooLarge(error)) {
    return flaiError(
      `The provider at ${url} answered with more than ${sizeText(error.limit)} while ${what}; the transfer was stopped. ` +
        "What the SDK reads there is far smaller: the provider is faulty; use another one.",
      error,
    );
  }
  if (isResponseTimedOut(error)) {
    return flaiError(
      `The provider at ${url} did not answer within ${error.timeoutMs / 1000} s while ${what}; the transfer was stopped. ` +
        "Try again later or use another provider.",
      error,
    );
  }
  return undefined;
}
