import { EXCERPT_LIMIT, excerpt } from "../util/excerpt.js";

/**
 * A value from a user's data or model spec as an error message shows it (issue 15): as JSON when
 * that is short and holds nothing shaped like a key, else as excerpt() of it (cut, secrets masked)
 * — so a 5 MB cell or a private key in a label column is never echoed. A string is always
 * excerpt()'s quoted form. Undefined stays undefined, for the callers' `?? "missing"`.
 */
export function shown(value: undefined): undefined;
export function shown(value: unknown): string;
export function shown(value: unknown): string | undefined {
  if (typeof value === "string") return excerpt(value);
  let json: string | undefined;
  try {
    json = JSON.stringify(value) as string | undefined;
  } catch {
    return "a value nested too deep to show"; // RangeError: JSON.stringify recurses
  }
  if (json === undefined) return undefined;
  return json.length <= EXCERPT_LIMIT && !/[0-9a-fA-F]{64}/.test(json) ? json : excerpt(json);
}

/** Most items of a list (columns of a header, arrays of an archive) an error message names. */
const LIST_LIMIT = 12;
/**
 * Most characters the named items of a list take: twelve long names, each excerpted to 60 characters,
 * would still make a 900-character line (test/e2e/zz-error-output.test.ts scans for lines over 600).
 */
const LIST_CHARS = 240;

/**
 * `values` shown one by one, comma separated: at most LIST_LIMIT of them and LIST_CHARS characters
 * (always at least one), then how many more.
 */
export function shownList(values: readonly unknown[]): string {
  const head: string[] = [];
  let chars = 0;
  for (const value of values.slice(0, LIST_LIMIT)) {
    const item = String(shown(value));
    if (head.length > 0 && chars + 2 + item.length > LIST_CHARS) break;
    head.push(item);
    chars += (head.length > 1 ? 2 : 0) + item.length;
  }
  return values.length > head.length ? `${head.join(", ")} and ${values.length - head.length} more` : head.join(", ");
}
