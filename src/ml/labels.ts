import { flaiError } from "../errors.js";
import { shown } from "./shown.js";
import { BINARY_CLASSES, type ClassLabel } from "./parameters.js";

/** Most classes a Dataset can index (labels are a Uint8Array). */
export const MAX_CLASSES = 255;

/**
 * Class indices for `raw` labels. With `classes` (the model spec's), each label must be one of
 * them. Without, the classes are the distinct labels in ascending order (numbers numerically,
 * strings by code unit, as scikit-learn's np.unique), and 0/1 labels always give [0, 1] — so a
 * 0/1 file with one class present still means the binary task. `where(r)` names row r for errors.
 */
export function indexLabels(
  raw: ClassLabel[],
  classes: readonly ClassLabel[] | undefined,
  source: string,
  where: (row: number) => string,
): { labels: Uint8Array; classes: ClassLabel[] } {
  const list = classes === undefined ? inferClasses(raw, source, where) : [...classes];
  const index = new Map<ClassLabel, number>(list.map((c, k) => [c, k]));
  const labels = new Uint8Array(raw.length);
  for (let r = 0; r < raw.length; r++) {
    // A CSV cell "1" reads as the number 1; a spec naming its classes as strings ("1", "2") still means it.
    const k = index.get(raw[r]!) ?? (typeof raw[r] === "number" ? index.get(String(raw[r])) : undefined);
    if (k === undefined) {
      throw flaiError(
        `${where(r)}: label ${shown(raw[r])} is not one of the model spec's classes ${shown(list)}. ` +
          `Add it to "classes" in the model spec, or fix that row.`,
      );
    }
    labels[r] = k;
  }
  return { labels, classes: list };
}

/** Checks a spec's "classes": 2..255 distinct integers or strings, not both kinds. */
export function checkClasses(value: unknown, source: string): ClassLabel[] {
  const rule = `a list of 2 to ${MAX_CLASSES} distinct labels, all integers or all strings (e.g. ["water", "forest", "urban"])`;
  if (!Array.isArray(value) || value.length < 2 || value.length > MAX_CLASSES) {
    throw flaiError(`${source}: "classes" must be ${rule}, got ${shown(value)}.`);
  }
  const kind = typeof value[0];
  value.forEach((c: unknown, k) => {
    const ok = typeof c === "string" ? c !== "" : Number.isSafeInteger(c);
    if (!ok || typeof c !== kind) throw flaiError(`${source}: "classes[${k}]" is ${shown(c)}; "classes" must be ${rule}.`);
  });
  const dup = value.findIndex((c, k) => value.indexOf(c) !== k);
  if (dup !== -1) throw flaiError(`${source}: "classes" lists ${shown(value[dup])} twice; each class once.`);
  return value as ClassLabel[];
}

/** A label value from JSON: an integer or a non-empty string; anything else is an error naming the row. */
export function jsonLabel(value: unknown, where: string): ClassLabel {
  if (typeof value === "string" && value.trim() !== "") return value;
  if (typeof value === "number" && Number.isSafeInteger(value)) return value;
  throw flaiError(`${where} is ${shown(value) ?? "missing"}; a label must be an integer (0, 1, 2, …) or a class name string.`);
}

const INTEGER = /^[+-]?\d+(?:\.0*)?$/;

/** A label from a CSV cell: integers ("1", "1.0") become numbers, any other non-empty text a class name. */
export function csvLabel(cell: string, where: string): ClassLabel {
  if (cell === "") throw flaiError(`${where}: the label is empty; every row needs a label.`);
  if (INTEGER.test(cell)) {
    const n = Number(cell);
    if (Number.isSafeInteger(n)) return n === 0 ? 0 : n; // "-0" is class 0
  }
  return cell;
}

function inferClasses(raw: ClassLabel[], source: string, where: (row: number) => string): ClassLabel[] {
  const distinct = [...new Set(raw)];
  const firstString = raw.findIndex((v) => typeof v === "string");
  const firstNumber = raw.findIndex((v) => typeof v === "number");
  if (firstString !== -1 && firstNumber !== -1) {
    throw flaiError(
      `${where(Math.max(firstString, firstNumber))}: label ${shown(raw[Math.max(firstString, firstNumber)])} mixes ` +
        `with ${shown(raw[Math.min(firstString, firstNumber)])} of ${where(Math.min(firstString, firstNumber))}; ` +
        `labels must be all integers or all class names. List the classes in the model spec's "classes" to be explicit.`,
    );
  }
  if (firstString === -1 && distinct.every((v) => v === 0 || v === 1)) return [...BINARY_CLASSES];
  if (distinct.length > MAX_CLASSES) {
    throw flaiError(`${source} has ${distinct.length} distinct labels; at most ${MAX_CLASSES} classes are supported.`);
  }
  return firstString === -1
    ? (distinct as number[]).sort((a, b) => a - b)
    : (distinct as string[]).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/**
 * Throws unless every class has a row: a centralized fit cannot learn a class it never sees.
 * (Federated clients may lack classes; they train warm-started from the global model instead.)
 */
export function requireEveryClass(labels: Uint8Array, classes: readonly ClassLabel[], source: string): void {
  const counts = new Array<number>(classes.length).fill(0);
  for (const k of labels) counts[k]!++;
  const missing = classes.filter((_, k) => counts[k] === 0);
  if (missing.length === 0) return;
  const present = classes.filter((_, k) => counts[k]! > 0);
  throw flaiError(
    `${source}: no row has class ${missing.map((c) => shown(c)).join(", ")}` +
      (present.length === 1 ? ` (all ${labels.length} label(s) are ${shown(present[0])})` : "") +
      `; training needs every class of ${shown(classes)}. ` +
      `Add rows with ${missing.length === 1 ? "that class" : "those classes"}, or remove ${missing.length === 1 ? "it" : "them"} from the model spec's "classes".`,
  );
}
