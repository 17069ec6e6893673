import { flaiError } from "../errors.js";
import { excerpt } from "../util/excerpt.js";

/** Job and federated-task ids are the contracts' uint256 counters, which start at 1. */
export const UINT256_MAX = 2n ** 256n - 1n;
/** FLAIFederated numbers rounds with a uint16, from 1. */
export const MAX_ROUND = 65535;

/**
 * The one parser of job and task ids, for tasks (`where` names the option, e.g. "--job") and for
 * hre.flai callers (no `where`). Decimal digits only: "1.5", "-1", "0x1" and "1e3" are refused
 * rather than guessed at, and so is anything a uint256 cannot hold.
 */
export function parseId(value: bigint | number | string, kind: "job" | "task", where?: string): bigint {
  const text = String(value).trim();
  // Quoted as an excerpt: a pasted key or a megabyte of text is never echoed whole (issue 15).
  const subject = where === undefined ? excerpt(value) : `${where} ${excerpt(value)}`;
  if (!/^\d+$/.test(text) || BigInt(text) === 0n) {
    throw flaiError(`${subject} is not a ${kind} id: a ${kind} id is a whole number ≥ 1 (decimal digits only), e.g. 1.`);
  }
  const id = BigInt(text);
  if (id > UINT256_MAX) {
    throw flaiError(`${subject} is not a ${kind} id: it is larger than the largest uint256 (2^256 − 1), so no ${kind} can have it.`);
  }
  return id;
}

/** A round number as FLAIFederated stores it (uint16 from 1); `where` names the option. */
export function parseRound(value: number | string, where = "--round"): number {
  const text = String(value).trim();
  if (!/^\d+$/.test(text) || Number(text) < 1 || Number(text) > MAX_ROUND) {
    throw flaiError(
      `${where} ${excerpt(value)} is not a round: rounds are numbered 1 to ${MAX_ROUND} (whole numbers, decimal digits only).`,
    );
  }
  return Number(text);
}
