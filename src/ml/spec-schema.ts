import { flaiError } from "../errors.js";
import type { DataSchema } from "./schema.js";

/** The model spec's data keys ("label", "ignore", "impute"), checked; absent keys stay absent. */
export interface SpecDataKeys {
  label?: string;
  ignore?: string[];
  impute?: "mean";
}

export function readSpecDataKeys(doc: Record<string, unknown>, source: string): SpecDataKeys {
  const out: SpecDataKeys = {};
  if (doc.label !== undefined) out.label = readName(doc.label, source, "label", "the CSV label column's name");
  if (doc.ignore !== undefined) out.ignore = readNames(doc.ignore, source, "ignore");
  if (doc.impute !== undefined) {
    if (doc.impute !== "mean") {
      throw flaiError(
        `${source}: "impute" must be "mean" (fill missing values with the training data's column means), ` +
          `got ${JSON.stringify(doc.impute)}. Remove it to refuse data with missing values.`,
      );
    }
    out.impute = "mean";
  }
  return out;
}

/** A trained model's "schema", checked against its feature count. */
export function readDataSchema(value: unknown, features: number, source: string): DataSchema {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw flaiError(`${source}: "schema" must be an object {"label", "columns", "ignore", "impute"}.`);
  }
  const s = value as Record<string, unknown>;
  const unknown = Object.keys(s).find((k) => !["label", "columns", "ignore", "impute"].includes(k));
  if (unknown !== undefined) throw flaiError(`${source}: unknown key "schema.${unknown}".`);
  const columns = readNames(s.columns, source, "schema.columns");
  if (columns.length !== features) {
    throw flaiError(`${source}: "schema.columns" names ${columns.length} columns but "features" is ${features}.`);
  }
  return {
    label: readName(s.label, source, "schema.label", "the label column's name"),
    columns,
    ignore: readNames(s.ignore, source, "schema.ignore"),
    impute: readImpute(s.impute, features, source),
  };
}

function readImpute(value: unknown, features: number, source: string): DataSchema["impute"] {
  if (value === null) return null;
  const v = value as { strategy?: unknown; values?: unknown } | undefined;
  const values = v?.values;
  if (
    typeof value !== "object" ||
    v?.strategy !== "mean" ||
    Object.keys(value).length !== 2 ||
    !Array.isArray(values) ||
    values.length !== features ||
    !values.every((x) => typeof x === "number" && Number.isFinite(x))
  ) {
    throw flaiError(`${source}: "schema.impute" must be null or {"strategy": "mean", "values": [${features} finite numbers]}.`);
  }
  return { strategy: "mean", values: values as number[] };
}

function readName(value: unknown, source: string, path: string, what: string): string {
  if (typeof value !== "string" || value.trim() === "" || value !== value.trim()) {
    throw flaiError(
      `${source}: "${path}" must be ${what} (a non-empty string without surrounding spaces), got ${JSON.stringify(value) ?? "nothing"}.`,
    );
  }
  return value;
}

function readNames(value: unknown, source: string, path: string): string[] {
  if (!Array.isArray(value))
    throw flaiError(`${source}: "${path}" must be a list of column names, got ${JSON.stringify(value) ?? "nothing"}.`);
  const names = value.map((v, k) => readName(v, source, `${path}[${k}]`, "a column name"));
  const dup = names.findIndex((n, k) => names.indexOf(n) !== k);
  if (dup !== -1) throw flaiError(`${source}: "${path}" lists ${JSON.stringify(names[dup])} twice.`);
  return names;
}
