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
 * options (only positional arguments are required), so the check lives here. A task's subject id
 * is an optional positional argument that --job/--task can give instead (users' scripts type
 * those), so it is required here too, named by both forms (subjectId).
 */
export function requireOptions<T extends object, K extends keyof T & string>(
  task: string,
  args: T,
  required: readonly K[],
  example: string,
  /** How to name an option other than by its flag (a subject id also given positionally: subjectLabel). */
  labels: Partial<Record<string, string>> = {},
): asserts args is T & { [P in K]-?: NonNullable<T[P]> } {
  const missing = required.filter((name) => !isGiven(args[name])).map((name) => labels[name] ?? flagOf(name));
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

/** A renamed option whose former flag was typed: the task prints one warning naming the new flag. */
export interface DeprecatedFlag {
  old: string;
  new: string;
}

/**
 * The value of a renamed option: its current name, or its deprecated former name (still read, so
 * users' scripts keep working, with a warning). Both given is an error: two values for one setting.
 * Names are camelCase option names (`clippingNorm`, `clip`); errors and warnings show the flags.
 */
export function renamedOption<T extends object>(
  args: T,
  current: keyof T & string,
  former: keyof T & string,
  deprecated: DeprecatedFlag[],
): string | undefined {
  const value = args[current] as string | undefined;
  const old = args[former] as string | undefined;
  if (old === undefined) return value;
  const flag = { old: flagOf(former), new: flagOf(current) };
  if (value !== undefined) {
    throw flaiError(
      `Both ${flag.new} (${excerpt(value)}) and ${flag.old} (${excerpt(old)}) were given; they set the same thing ` +
        `(${flag.old} is its deprecated former name). Pass ${flag.new} only.`,
    );
  }
  deprecated.push(flag);
  return old;
}

/** The warning a task prints for a deprecated flag it was given. */
export function deprecatedFlagWarning(flag: DeprecatedFlag): string {
  return `Warning: ${flag.old} is deprecated; use ${flag.new} (it was read as ${flag.new}).`;
}

/**
 * A task's one subject id (a task or job id), given positionally (`flai:fl-status 3`) or as its
 * option (`--task 3`, kept for scripts); undefined when neither is given. Both given and different
 * is an error (which one was meant?); the same id twice is accepted.
 */
export function pickSubject(
  taskName: string,
  option: "task" | "job",
  positional: string | undefined,
  named: string | undefined,
): string | undefined {
  const given = [positional, named].filter(isGiven) as string[];
  const [first, second] = given;
  if (first !== undefined && second !== undefined && first.trim() !== second.trim()) {
    throw flaiError(
      `${taskName} was given ${option} id ${excerpt(first)} as its argument and --${option} ${excerpt(second)}. ` +
        `Give the ${option} id once: npx hardhat ${taskName} <${option} id>.`,
    );
  }
  return first;
}

/** How a missing subject id is named: both of its forms. */
export function subjectLabel(option: "task" | "job"): string {
  return `<${option} id> (the first argument, or --${option})`;
}

/**
 * A task's one subject id (pickSubject), required: neither form given is the "missing" error of
 * requireOptions, naming both forms and an example.
 */
export function subjectId(
  taskName: string,
  option: "task" | "job",
  positional: string | undefined,
  named: string | undefined,
  example: string,
): string {
  const subject = { [option]: pickSubject(taskName, option, positional, named) };
  requireOptions(taskName, subject, [option], example, { [option]: subjectLabel(option) });
  return subject[option]!;
}
