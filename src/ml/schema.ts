import { flaiError } from "../errors.js";
import { shown, shownList } from "./shown.js";
import type { ClassLabel } from "./parameters.js";

/** How a model reads a CSV file; stored in the trained model so prediction reads files the same way. */
export interface DataSchema {
  /** The label column. */
  label: string;
  /** Feature columns, in feature order. */
  columns: string[];
  /** Columns present in the file but not used (IDs, text). */
  ignore: string[];
  /** Missing feature values: null = refused; "mean" = filled with `values` (training means, one per column). */
  impute: { strategy: "mean"; values: number[] } | null;
}

/** What a model spec may say about the data it trains on (all optional). */
export interface DatasetOptions {
  /** Label values in class-index order; a label not listed is an error. Default: the data's own labels. */
  classes?: readonly ClassLabel[];
  /** The CSV label column. Default: the one column named label, y or target (any case). */
  label?: string;
  /** CSV columns to leave out (IDs, text). */
  ignore?: readonly string[];
  /** Missing values: "mean" fills them with this data's column means; numbers fill with those (a trained model's). */
  impute?: "mean" | readonly number[];
}

const DEFAULT_LABEL_NAMES = ["label", "y", "target"];
/** Cells that mean "no value" (compared lower-cased). */
export const MISSING_CELLS = new Set(["", "na", "nan", "n/a", "null"]);
/** Below this many rows a column of distinct integers is no evidence of an ID. */
const ID_MIN_ROWS = 10;
const ID_NAME = /(^|[_\s-])(id|idx|index|key|uuid|row)$/i;

/** Index of the label column: the spec's name, else exactly one of label/y/target; never a guess. */
export function labelColumn(names: string[], wanted: string | undefined, source: string): number {
  const header = shownList(names);
  if (wanted !== undefined) {
    const index = names.indexOf(wanted);
    if (index === -1) {
      throw flaiError(`${source} has no column ${shown(wanted)} (the model spec's "label"); its columns are ${header}.`);
    }
    return index;
  }
  const candidates = names.flatMap((n, k) => (DEFAULT_LABEL_NAMES.includes(n.toLowerCase()) ? [k] : []));
  if (candidates.length === 1) return candidates[0]!;
  const why =
    candidates.length === 0
      ? "no column is named label, y or target"
      : `several columns could be the label (${candidates.map((k) => shown(names[k])).join(", ")})`;
  throw flaiError(
    `${source}: ${why}; its columns are ${header}. Name the label column in the model spec, ` +
      `e.g. "label": ${shown(names[names.length - 1])}.`,
  );
}

/** Indices of the ignored columns; each must exist and not be the label. */
export function ignoredColumns(names: string[], ignore: readonly string[], labelIndex: number, source: string): Set<number> {
  const out = new Set<number>();
  for (const name of ignore) {
    const index = names.indexOf(name);
    if (index === -1) {
      throw flaiError(
        `${source} has no column ${shown(name)} (listed in the model spec's "ignore"); its columns are ` + `${shownList(names)}.`,
      );
    }
    if (index === labelIndex) throw flaiError(`${source}: ${shown(name)} is the label column; it cannot be in "ignore".`);
    out.add(index);
  }
  return out;
}

/**
 * Throws when a numeric feature column looks like a row ID: at least 10 rows of distinct integers
 * that are a contiguous run (1..n in any order) or sit in a column named like an ID (id, *_id,
 * index, key, uuid, row). Such a column would be learned as a feature and predicts nothing.
 */
export function refuseIdColumns(features: Float64Array, rows: number, names: string[], source: string): void {
  const cols = names.length;
  if (rows < ID_MIN_ROWS) return;
  for (let j = 0; j < cols; j++) {
    const seen = new Set<number>();
    let min = Infinity;
    let max = -Infinity;
    let integers = true;
    for (let i = 0; i < rows && integers; i++) {
      const v = features[i * cols + j]!;
      integers = Number.isInteger(v) && !seen.has(v);
      seen.add(v);
      if (v < min) min = v;
      if (v > max) max = v;
    }
    if (!integers || !(max - min + 1 === rows || ID_NAME.test(names[j]!))) continue;
    throw flaiError(
      `${source}: column ${shown(names[j])} looks like a row ID (${rows} distinct integers, ${min} to ${max}); ` +
        `as a feature it would only memorize rows. List it in the model spec's "ignore": [${shown(names[j])}].`,
    );
  }
}

/**
 * Fills NaN cells (missing values) in place: with this data's column means for "mean", or with the
 * given values (a trained model's). Returns the values used, one per column.
 */
export function imputeMissing(
  features: Float64Array,
  rows: number,
  names: string[],
  impute: "mean" | readonly number[],
  source: string,
): number[] {
  const cols = names.length;
  let values: number[];
  if (impute === "mean") {
    values = names.map((name, j) => {
      let sum = 0;
      let count = 0;
      for (let i = 0; i < rows; i++) {
        const v = features[i * cols + j]!;
        if (!Number.isNaN(v)) {
          sum += v;
          count++;
        }
      }
      if (count === 0)
        throw flaiError(`${source}: column ${shown(name)} has no values at all, so it has no mean to impute. List it in "ignore".`);
      return sum / count;
    });
  } else {
    if (impute.length !== cols) throw flaiError(`${source}: ${impute.length} imputation values for ${cols} feature columns.`);
    values = [...impute];
  }
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) if (Number.isNaN(features[i * cols + j]!)) features[i * cols + j] = values[j]!;
  }
  return values;
}

/**
 * Throws unless `dataset` has the schema's feature columns, in the same order (a trained or
 * global model's schema against a client's or a test file). Data without column names (JSON)
 * is checked by feature count only.
 */
export function checkSchema(schema: DataSchema, dataset: { cols: number; columns?: string[] }, source: string): void {
  const want = schema.columns;
  const have = dataset.columns;
  if (have === undefined) {
    if (dataset.cols === want.length) return;
    throw flaiError(`${source} has ${dataset.cols} feature(s) per row, but the model reads ${want.length} (${want.join(", ")}).`);
  }
  const missing = want.filter((c) => !have.includes(c));
  const extra = have.filter((c) => !want.includes(c));
  if (missing.length > 0 || extra.length > 0) {
    const parts = [
      missing.length > 0 && `lacks column(s) ${missing.map((c) => shown(c)).join(", ")}`,
      extra.length > 0 && `has column(s) the model does not read: ${extra.map((c) => shown(c)).join(", ")}`,
    ].filter(Boolean);
    throw flaiError(
      `${source} ${parts.join(" and ")}. The model reads ${want.map((c) => shown(c)).join(", ")} ` +
        `(label ${shown(schema.label)}${schema.ignore.length > 0 ? `, ignoring ${schema.ignore.join(", ")}` : ""}).`,
    );
  }
  const moved = want.findIndex((c, j) => have[j] !== c);
  if (moved !== -1) {
    throw flaiError(
      `${source} has the model's feature columns in another order: feature ${moved} is ${shown(have[moved])}, ` +
        `the model's is ${shown(want[moved])}. Reorder the columns as ${want.join(", ")}.`,
    );
  }
}

/** The options that read data exactly as `schema` describes (for prediction and federated clients). */
export function schemaOptions(schema: DataSchema, classes?: readonly ClassLabel[]): DatasetOptions {
  return {
    label: schema.label,
    ignore: schema.ignore,
    ...(schema.impute !== null && { impute: schema.impute.values }),
    ...(classes !== undefined && { classes }),
  };
}
