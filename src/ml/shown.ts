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

/** `values` shown one by one, comma separated, at most LIST_LIMIT of them then how many more. */
export function shownList(values: readonly unknown[]): string {
  const head = values.slice(0, LIST_LIMIT).map((v) => shown(v));
  return values.length > LIST_LIMIT ? `${head.join(", ")} and ${values.length - LIST_LIMIT} more` : head.join(", ");
}
