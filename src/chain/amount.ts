import { formatUnits, parseUnits } from "ethers";

import { flaiError } from "../errors.js";

const DECIMAL = /^(?:0|[1-9]\d*)(?:\.\d+)?$/;

/**
 * Parses a 0G amount written in 0G decimals ("0.01") into wei, exactly (no float rounding of
 * 18-decimal amounts). `maxDecimals` narrows precision where a contract escrows in larger units.
 */
export function parse0G(value: string, what: string, { maxDecimals = 18 } = {}): bigint {
  const text = value.trim();
  if (!DECIMAL.test(text)) {
    throw flaiError(`${what} must be a positive 0G amount in decimal notation like "0.01", got "${value}".`);
  }
  const decimals = text.split(".")[1]?.length ?? 0; // DECIMAL allows at most one "."
  if (decimals > maxDecimals) {
    throw flaiError(
      `${what} "${value}" has ${decimals} decimals; at most ${maxDecimals} are allowed here` +
        (maxDecimals === 9 ? " (rewards are escrowed in units of 1 gwei = 0.000000001 0G)." : "."),
    );
  }
  const wei = parseUnits(text, 18);
  if (wei <= 0n) {
    throw flaiError(`${what} must be greater than 0, got "${value}".`);
  }
  return wei;
}

/** Formats wei as 0G decimals, keeping every significant digit ("0.000000000000000001 0G"). */
export function format0G(wei: bigint): string {
  const text = formatUnits(wei, 18);
  return `${text.endsWith(".0") ? text.slice(0, -2) : text} 0G`;
}
