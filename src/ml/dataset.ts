import { flaiError } from "../errors.js";
import { checkJsonStructure } from "./json-structure.js";
import { shown, shownList } from "./shown.js";
import { constants } from "node:buffer";
import { firstNonSpace, utf8TextStart } from "./byte-text.js";
import { parseCsvDataset } from "./csv-dataset.js";
import { NotPlain, scanJsonDataset } from "./json-dataset.js";
import { indexLabels, jsonLabel } from "./labels.js";
import { isNpy } from "./npy-array.js";
import { parseNpzDataset } from "./npz-dataset.js";
import type { ClassLabel } from "./parameters.js";
import type { DataSchema, DatasetOptions } from "./schema.js";

/** UTF-16 units a string holds (about 512 MB): how much text the JSON text reader can take. */
const MAX_STRING_LENGTH = constants.MAX_STRING_LENGTH;

/** A classification dataset; features are row-major (rows × cols). */
export interface Dataset {
  rows: number;
  cols: number;
  features: Float64Array;
  /** Class indices into `classes` (so 0/1 data keeps its 0/1 labels). */
  labels: Uint8Array;
  /** Label values in index order (at most 255); [0, 1] for 0/1 data. */
  classes: ClassLabel[];
  /** Feature column names, in feature order (CSV data only). */
  columns?: string[];
  /** How the CSV file was read (label column, features, ignored columns, imputation); CSV data only. */
  schema?: DataSchema;
}

/**
 * Parses a JSON (`{"features": number[][], "labels": [...]}`), CSV (header row + label column) or
 * NumPy .npz (arrays X and y, as np.savez writes) dataset. The format is detected from content, not
 * the file name, because storage roots carry none.
 * Labels may be integers or class names; `options` carries the model spec's classes and schema.
 * Data with one class only is accepted here (a federated client's share may be); training that
 * needs every class checks that itself (labels.ts, requireEveryClass).
 */
export function parseDataset(bytes: Uint8Array, source: string, options: DatasetOptions = {}): Dataset {
  if (isZip(bytes)) return parseNpzDataset(bytes, source, options);
  if (isNpy(bytes)) {
    throw flaiError(
      `${source} is a single NumPy .npy array: it holds no labels (or no features), and a column cannot be told ` +
        `from its position. Save both arrays by name in one .npz file: np.savez(path, X=features, y=labels).`,
    );
  }
  const start = utf8TextStart(bytes, source);
  const first = firstNonSpace(bytes, start);
  if (first === -1) {
    throw flaiError(
      `${source} is empty. Provide a JSON dataset {"features": [[...], ...], "labels": [0, 1, ...]} ` +
        `or a CSV file with a header row and a "label" column.`,
    );
  }
  return bytes[first] === 0x7b ? parseJsonDataset(bytes, start, source, options) : parseCsvDataset(bytes, start, source, options);
}

/** A zip archive (an .npz): a local file header, or the end record of an empty archive. */
export function isZip(bytes: Uint8Array): boolean {
  return bytes[0] === 0x50 && bytes[1] === 0x4b && ((bytes[2] === 3 && bytes[3] === 4) || (bytes[2] === 5 && bytes[3] === 6));
}

/** Throws unless every row has exactly `expected` features (the model spec's "features"). */
export function validateFeatureCount(ds: Dataset, expected: number, source: string): void {
  if (ds.cols !== expected) {
    throw flaiError(
      `${source} has ${ds.cols} feature(s) per row, but the model spec expects ${expected}. ` +
        `Set "features": ${ds.cols} in the model spec, or supply data with ${expected} feature column(s).`,
    );
  }
}

/** UTF-8 text of a file, BOM dropped; invalid UTF-8 is a user error naming `source`. */
export function decodeUtf8(bytes: Uint8Array, source: string): string {
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ERR_STRING_TOO_LONG") {
      // JavaScript strings stop at about 512 MB: a CSV or JSON this large cannot be held as text.
      throw flaiError(
        `${source} is ${bytes.length} bytes of text, more than a JSON or CSV dataset can be read as (about 512 MB). ` +
          `Save it as NumPy .npz (np.savez(path, X=X, y=y)), which has no such limit, or split it across federated clients.`,
        error,
      );
    }
    throw flaiError(
      `${source} is not valid UTF-8 text. Save the dataset as UTF-8 JSON or CSV, or as NumPy .npz (np.savez(path, X=X, y=y)).`,
      error,
    );
  }
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

// ---------------------------------------------------------------- JSON

/**
 * JSON.parse whose syntax errors name `source` with line and column; a duplicate key or absurd
 * nesting is refused too (json-structure.ts).
 */
export function parseJsonText(text: string, source: string): unknown {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (error) {
    throw flaiError(`${source} is not valid JSON: ${describeJsonError(error, text)}. Fix the JSON syntax there.`, error);
  }
  checkJsonStructure(text, source);
  return doc;
}

function parseJsonDataset(bytes: Uint8Array, start: number, source: string, options: DatasetOptions): Dataset {
  const csvOnly = (["label", "ignore", "impute"] as const).filter((key) => options[key] !== undefined);
  if (csvOnly.length > 0) {
    throw flaiError(
      `${source} is a JSON dataset, but the model spec sets ${csvOnly.map((k) => `"${k}"`).join(", ")}, which name CSV ` +
        `columns. Remove ${csvOnly.length === 1 ? "it" : "them"} from the model spec, or supply the data as CSV.`,
    );
  }
  const scanned = scanJsonDataset(bytes, start, source);
  if (scanned instanceof NotPlain) return parseJsonDatasetText(textOfNotPlain(bytes, start, scanned, source), source, options);
  const { rows, cols, features, labels: scannedLabels } = scanned;
  const { ids, distinct, firstRow } = scannedLabels;
  const where = (r: number) => `${source}: labels[${r}] (row ${r})`;
  const indexed = indexLabels(distinct, options.classes, source, (k) => where(firstRow[k]!));
  const labels = new Uint8Array(rows);
  for (let r = 0; r < rows; r++) labels[r] = indexed.labels[ids[r]!]!;
  return { rows, cols, features, labels, classes: indexed.classes };
}

/**
 * The text of a JSON dataset that is not in the plain form, for the text reader to name what is
 * wrong; too long for a string, the error names the line where the plain form was left instead.
 */
function textOfNotPlain(bytes: Uint8Array, start: number, notPlain: NotPlain, source: string): string {
  if (bytes.length <= MAX_STRING_LENGTH) return decodeUtf8(bytes, source);
  let line = 1;
  for (let k = bytes.indexOf(0x0a, start); k !== -1 && k < notPlain.offset; k = bytes.indexOf(0x0a, k + 1)) line++;
  throw flaiError(
    `${source} line ${line}: a JSON dataset of ${bytes.length} bytes (more than the ~512 MB a text value holds) must be exactly ` +
      `{"features": [[finite numbers, ...], ...], "labels": [integers or class names, one per row]}, and this file is not, ` +
      `from that line on. Fix it there, or save it as NumPy .npz (np.savez(path, X=X, y=y)).`,
  );
}

/** The JSON dataset reader for any JSON text: slower, and its errors name what is wrong. */
export function parseJsonDatasetText(text: string, source: string, options: DatasetOptions): Dataset {
  const doc = parseJsonText(text, source);
  if (typeof doc !== "object" || doc === null || Array.isArray(doc)) {
    throw flaiError(`${source} must hold a JSON object {"features": [...], "labels": [...]}.`);
  }
  const obj = doc as Record<string, unknown>;
  const missing = ["features", "labels"].filter((key) => !(key in obj));
  if (missing.length > 0) {
    const found = shownList(Object.keys(obj)) || "none";
    throw flaiError(
      `${source} is missing ${missing.map((k) => `"${k}"`).join(" and ")} (keys found: ${found}). ` +
        `A JSON dataset needs "features" (an array of rows of numbers) and "labels" (one class label per row: 0/1, integers or class names).`,
    );
  }
  const { features, labels } = obj;
  if (!Array.isArray(features)) {
    throw flaiError(`${source}: "features" must be an array of rows (arrays of numbers), got ${typeName(features)}.`);
  }
  if (!Array.isArray(labels)) {
    throw flaiError(`${source}: "labels" must be an array of class labels (0/1, integers or class names), got ${typeName(labels)}.`);
  }
  if (features.length === 0) {
    throw flaiError(`${source} has no rows: "features" is empty. Add rows, at least one per class.`);
  }
  if (labels.length !== features.length) {
    throw flaiError(
      `${source} has ${features.length} feature rows but ${labels.length} labels. ` + `Give exactly one label per row of "features".`,
    );
  }

  const firstRow = features[0];
  if (!Array.isArray(firstRow)) {
    throw flaiError(`${source}: features[0] must be an array of numbers, got ${typeName(firstRow)}.`);
  }
  const rows = features.length;
  const cols = firstRow.length;
  if (cols === 0) {
    throw flaiError(`${source}: features[0] is empty. Every row needs at least one feature value.`);
  }
  const out = new Float64Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    const row: unknown = features[r];
    if (!Array.isArray(row)) {
      throw flaiError(`${source}: features[${r}] must be an array of numbers, got ${typeName(row)}.`);
    }
    if (row.length !== cols) {
      throw flaiError(
        `${source}: row ${r} (features[${r}]) has ${row.length} value(s), expected ${cols} as in row 0. ` +
          `Every row must have the same number of features.`,
      );
    }
    for (let c = 0; c < cols; c++) {
      const v: unknown = row[c];
      if (typeof v !== "number" || !Number.isFinite(v)) {
        throw flaiError(
          `${source}: row ${r}, column ${c} (features[${r}][${c}]) is ${describeValue(v)}; ` +
            `every feature must be a finite number. Fix or remove that row.`,
        );
      }
      out[r * cols + c] = v;
    }
  }

  const raw = labels.map((v: unknown, r) => jsonLabel(v, `${source}: labels[${r}] (row ${r})`));
  const indexed = indexLabels(raw, options.classes, source, (r) => `${source}: labels[${r}] (row ${r})`);
  return { rows, cols, features: out, ...indexed };
}

function describeJsonError(error: unknown, text: string): string {
  const message = error instanceof Error ? error.message : String(error);
  if (/line \d+/.test(message)) return message;
  // V8 gives a position only for some errors ("Unexpected token" has none), so find it ourselves.
  const pos = jsonErrorOffset(text);
  if (pos < 0) return message;
  const before = text.slice(0, pos);
  const line = before.split("\n").length;
  const column = pos - before.lastIndexOf("\n");
  return `${message} (line ${line} column ${column})`;
}

const JSON_NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;

/** Offset of the first JSON syntax error, or -1; only run after JSON.parse has failed. */
function jsonErrorOffset(text: string): number {
  let i = 0;
  const fail = (): never => {
    throw i;
  };
  const ws = () => {
    while (text[i] === " " || text[i] === "\t" || text[i] === "\n" || text[i] === "\r") i++;
  };
  const expect = (ch: string) => (text[i] === ch ? i++ : fail());
  const string = () => {
    expect('"');
    for (;;) {
      const ch = text[i];
      if (ch === undefined || ch < " ") fail();
      i++;
      if (ch === '"') return;
      if (ch === "\\") {
        if (text[i] === "u" && /^[0-9a-fA-F]{4}$/.test(text.slice(i + 1, i + 5))) i += 5;
        else if (text[i] !== undefined && '"\\/bfnrt'.includes(text[i]!)) i++;
        else fail();
      }
    }
  };
  const value = (): void => {
    ws();
    const ch = text[i];
    if (ch === "{" || ch === "[") {
      const close = ch === "{" ? "}" : "]";
      i++;
      ws();
      if (text[i] === close) {
        i++;
        return;
      }
      for (;;) {
        if (ch === "{") {
          ws();
          string();
          ws();
          expect(":");
        }
        value();
        ws();
        if (text[i] === ",") i++;
        else return void expect(close);
      }
    }
    if (ch === '"') return string();
    JSON_NUMBER.lastIndex = i;
    if (JSON_NUMBER.test(text)) {
      i = JSON_NUMBER.lastIndex;
      return;
    }
    for (const word of ["true", "false", "null"]) {
      if (text.startsWith(word, i)) {
        i += word.length;
        return;
      }
    }
    fail();
  };
  try {
    value();
    ws();
    return i < text.length ? i : -1;
  } catch (pos) {
    return typeof pos === "number" ? pos : -1; // a RangeError from absurd nesting: no position
  }
}

// ---------------------------------------------------------------- shared

function typeName(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "an array";
  return typeof v === "object" ? "an object" : `a ${typeof v}`;
}

function describeValue(v: unknown): string {
  if (typeof v === "number") return String(v);
  if (typeof v === "string") return `the string ${shown(v)}`;
  if (v === undefined) return "missing";
  if (v === null) return "null";
  return `${typeName(v)} ${shown(v)}`;
}
