import { flaiError } from "../errors.js";
import { excerpt } from "../util/excerpt.js";

// Task options reach an action as Hardhat parsed them. Options declared without a default
// (ArgumentType.STRING_WITHOUT_DEFAULT / FILE_WITHOUT_DEFAULT) are `undefined` when the user did not
// give them, so "not given" and a typed value (including "0") are never confused.

/** The flag a user types for an option: `roundDuration` → `--round-duration`. */
export function flagOf(name: string): string {
  return "--" + name.replace(/[A-Z]/g, (c) => "-" + c.toLowerCase());
}

/** Whether the user gave a usable value: a blank string counts as not given (there is nothing to use). */
function isGiven(value: unknown): boolean {
  return value !== undefined && !(typeof value === "string" && value.trim() === "");
}

/**
 * Checks every required option at once, so a user fixes them in one go: one error names all the
 * missing (or empty) options and shows a complete example command. Hardhat 3 has no required
 * options (only positional arguments are required), and making `--job`, `--task`… positional
 * would change the CLI the README and users' scripts type, so the check lives here.
 */
export function requireOptions<T extends object, K extends keyof T & string>(
  task: string,
  args: T,
  required: readonly K[],
  example: string,
): asserts args is T & { [P in K]-?: NonNullable<T[P]> } {
  const missing = required.filter((name) => !isGiven(args[name])).map(flagOf);
  if (missing.length === 0) {
    return;
  }
  const what = missing.length === 1 ? `option ${missing[0]}` : `options ${missing.join(", ")}`;
  throw flaiError(`${task} is missing the required ${what} (not given or empty). Example: npx hardhat ${example}`);
}

/**
 * An optional text option: undefined when not given. Given but blank is an error rather than
 * quietly meaning "use the default", since the user typed something.
 */
export function optionalText(value: string | undefined, option: string): string | undefined {
  if (value === undefined) {
    return undefined;
  }
  if (value.trim() === "") {
    throw flaiError(`${option} was given an empty value. Pass a value, or leave ${option} out for its default.`);
  }
  return value;
}

export interface WholeRange {
  min: number;
  max?: number;
  /** Why the range is what it is, shown after it (e.g. "seconds"). */
  hint?: string;
}

/** A whole-number option (decimal digits only), or undefined when not given; out of range is an error, never clamped. */
export function optionalWhole(value: string | undefined, option: string, range: WholeRange): number | undefined {
  if (value === undefined) {
    return undefined;
  }
  const max = range.max ?? Number.MAX_SAFE_INTEGER;
  const text = value.trim();
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < range.min || n > max) {
    const bounds = range.max === undefined ? `≥ ${range.min}` : `from ${range.min} to ${max}`;
    throw flaiError(
      `${option} must be a whole number ${bounds}${range.hint === undefined ? "" : ` (${range.hint})`}, got ${excerpt(value)}.`,
    );
  }
  return n;
}

export interface NumberRange {
  /** Lower bound; excluded when `minExclusive`. */
  min: number;
  minExclusive?: boolean;
  /** Upper bound, excluded (every bound here is a "< x" rule). */
  below?: number;
  hint?: string;
}

const DECIMAL = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

/** A decimal-number option, or undefined when not given; out of range is an error, never clamped. */
export function optionalNumber(value: string | undefined, option: string, range: NumberRange): number | undefined {
  if (value === undefined) {
    return undefined;
  }
  const text = value.trim();
  const n = Number(text);
  const aboveMin = range.minExclusive === true ? n > range.min : n >= range.min;
  const belowMax = range.below === undefined || n < range.below;
  if (!DECIMAL.test(text) || !Number.isFinite(n) || !aboveMin || !belowMax) {
    const low = `${range.minExclusive === true ? ">" : "≥"} ${range.min}`;
    const bounds = range.below === undefined ? low : `${low} and < ${range.below}`;
    throw flaiError(`${option} must be a number ${bounds}${range.hint === undefined ? "" : ` (${range.hint})`}, got ${excerpt(value)}.`);
  }
  return n;
}
