import { isFlaiError, flaiError } from "../errors.js";

/** The seed's troubleshooting, applied: a known failure names its cause and the command that fixes it. */
export function explainMarketError(error: unknown, what: string): Error {
  if (isFlaiError(error)) {
    return error;
  }
  const text = error instanceof Error ? error.message : String(error);
  if (/AccountNotExists|sub-account not found|LedgerNotExists|ledger not exist/i.test(text)) {
    return flaiError(`AccountNotExists while ${what}: no ledger or provider sub-account for this account. Run \`npx hardhat flai:market-setup --ledger 3 --provider <address>\` first. (${text})`, error);
  }
  if (/insufficient balance|InsufficientBalance|insufficient funds/i.test(text)) {
    return flaiError(`Insufficient balance while ${what}: fund the ledger, e.g. \`npx hardhat flai:market-setup --ledger 3\`. (${text})`, error);
  }
  if (/revoked|expired|invalid token/i.test(text)) {
    return flaiError(`The provider refused the session token while ${what}: ${text}. Request fresh headers (they are regenerated automatically on the next ping).`, error);
  }
  if (/signature/i.test(text)) {
    return flaiError(`Invalid signature while ${what}: the provider's answer or token did not verify. (${text})`, error);
  }
  if (/not acknowledged|acknowledge/i.test(text)) {
    return flaiError(`The provider is not acknowledged while ${what}: run \`npx hardhat flai:market-setup --provider <address>\`. (${text})`, error);
  }
  return flaiError(`0G compute failed while ${what}: ${text}`, error);
}
