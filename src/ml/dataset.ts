import { flaiError } from "../errors.js";
import { BINARY_CLASSES, type ClassLabel } from "./parameters.js";

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
}

const LABEL_COLUMN_NAMES = ["label", "y", "target"] as const;

// Strict on purpose: Number() would accept "", " ", "0x1f" and "1_0"-like surprises silently.
const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/**
 * Parses a JSON (`{"features": number[][], "labels": (0|1)[]}`) or CSV (header row + label column)
 * dataset. The format is detected from content, not the file name, because storage roots carry none.
 */
export function parseDataset(bytes: Uint8Array, source: string): Dataset {
  const text = decodeUtf8(bytes, source);
  const first = text.search(/\S/);
  if (first === -1) {
    throw flaiError(
      `${source} is empty. Provide a JSON dataset {"features": [[...], ...], "labels": [0, 1, ...]} ` +
        `or a CSV file with a header row and a "label" column.`,
    );
  }
  return text[first] === "{" ? parseJsonDataset(text, source) : parseCsvDataset(text, source);
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
    throw flaiError(`${source} is not valid UTF-8 text. Save the dataset as UTF-8 JSON or CSV.`, error);
  }
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

// ---------------------------------------------------------------- JSON

/** JSON.parse whose syntax errors name `source` with line and column. */
export function parseJsonText(text: string, source: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw flaiError(`${source} is not valid JSON: ${describeJsonError(error, text)}. Fix the JSON syntax there.`, error);
  }
}

function parseJsonDataset(text: string, source: string): Dataset {
  const doc = parseJsonText(text, source);
  if (typeof doc !== "object" || doc === null || Array.isArray(doc)) {
    throw flaiError(`${source} must hold a JSON object {"features": [...], "labels": [...]}.`);
  }
  const obj = doc as Record<string, unknown>;
  const missing = ["features", "labels"].filter((key) => !(key in obj));
  if (missing.length > 0) {
    const found = Object.keys(obj).map((k) => JSON.stringify(k)).join(", ") || "none";
    throw flaiError(
      `${source} is missing ${missing.map((k) => `"${k}"`).join(" and ")} (keys found: ${found}). ` +
        `A JSON dataset needs "features" (an array of rows of numbers) and "labels" (an array of 0/1).`,
    );
  }
  const { features, labels } = obj;
  if (!Array.isArray(features)) {
    throw flaiError(`${source}: "features" must be an array of rows (arrays of numbers), got ${typeName(features)}.`);
  }
  if (!Array.isArray(labels)) {
    throw flaiError(`${source}: "labels" must be an array of 0/1 values, got ${typeName(labels)}.`);
  }
  if (features.length === 0) {
    throw flaiError(`${source} has no rows: "features" is empty. Add at least one row for each class 0 and 1.`);
  }
  if (labels.length !== features.length) {
    throw flaiError(
      `${source} has ${features.length} feature rows but ${labels.length} labels. ` +
        `Give exactly one label (0 or 1) per row of "features".`,
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

  const y = new Uint8Array(rows);
  for (let r = 0; r < rows; r++) {
    const v: unknown = labels[r];
    if (v !== 0 && v !== 1) {
      throw flaiError(`${source}: labels[${r}] (row ${r}) is ${describeValue(v)}; labels must be 0 or 1.`);
    }
    y[r] = v;
  }
  return finish({ rows, cols, features: out, labels: y, classes: [...BINARY_CLASSES] }, source);
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

// ---------------------------------------------------------------- CSV

function parseCsvDataset(text: string, source: string): Dataset {
  const records = readCsvRecords(text, source);
  if (records.length === 0) {
    throw flaiError(`${source} is empty. A CSV dataset needs a header row and at least one data row.`);
  }
  const header = records[0]!;
  const names = header.fields.map((f) => f.trim());
  if (names.length < 2) {
    const hint = /[;\t]/.test(header.fields[0] ?? "") ? " It looks like ';' or tab separated; use commas." : "";
    throw flaiError(
      `${source} line ${header.line}: the header has ${names.length} column; a CSV dataset needs at least one ` +
        `feature column and a label column, separated by commas.${hint}`,
    );
  }
  if (names.every((n) => DECIMAL.test(n))) {
    throw flaiError(
      `${source} line ${header.line}: the first row looks like data, not a header. ` +
        `Add a header row naming the columns, e.g. "${names.slice(0, -1).map((_, i) => `x${i}`).join(",")},label".`,
    );
  }
  const labelIndex = findLabelColumn(names);
  const cols = names.length - 1;
  const data = records.slice(1);
  if (data.length === 0) {
    throw flaiError(`${source} has a header but no data rows. Add at least one row for each class 0 and 1.`);
  }

  const rows = data.length;
  const features = new Float64Array(rows * cols);
  const labels = new Uint8Array(rows);
  for (let r = 0; r < rows; r++) {
    const { line, fields } = data[r]!;
    if (fields.length !== names.length) {
      throw flaiError(
        `${source} line ${line} (data row ${r}) has ${fields.length} value(s), expected ${names.length} ` +
          `as in the header. Every row needs one value per header column.`,
      );
    }
    let c = 0;
    for (let k = 0; k < fields.length; k++) {
      const raw = fields[k]!.trim();
      const where = `${source} line ${line} (data row ${r}), column ${k + 1} "${names[k]}"`;
      if (k === labelIndex) {
        const v = DECIMAL.test(raw) ? Number(raw) : NaN;
        if (v !== 0 && v !== 1) {
          throw flaiError(`${where}: label is ${JSON.stringify(raw)}; labels must be 0 or 1.`);
        }
        labels[r] = v;
        continue;
      }
      const v = DECIMAL.test(raw) ? Number(raw) : NaN;
      if (!Number.isFinite(v)) {
        throw flaiError(
          `${where} (feature index ${c}) is ${raw === "" ? "empty" : JSON.stringify(raw)}; ` +
            `every feature must be a finite decimal number. Fix or remove that row.`,
        );
      }
      features[r * cols + c] = v;
      c++;
    }
  }
  const columns = names.filter((_, k) => k !== labelIndex);
  return finish({ rows, cols, features, labels, classes: [...BINARY_CLASSES], columns }, source);
}

/** `label`, then `y`, then `target` (case-insensitive); otherwise the last column. */
function findLabelColumn(names: string[]): number {
  const lower = names.map((n) => n.toLowerCase());
  for (const wanted of LABEL_COLUMN_NAMES) {
    const index = lower.indexOf(wanted);
    if (index !== -1) return index;
  }
  return names.length - 1;
}

interface CsvRecord {
  line: number; // 1-based line where the record starts, as editors show it
  fields: string[];
}

/** RFC 4180 records: comma separated, optional double quotes, CRLF or LF; blank lines skipped. */
function readCsvRecords(text: string, source: string): CsvRecord[] {
  const records: CsvRecord[] = [];
  const n = text.length;
  let line = 1;
  let i = 0;
  while (i < n) {
    const recordLine = line;
    const fields: string[] = [];
    for (;;) {
      // One field per pass; unquoted fields are sliced, not built char by char (large files).
      let start = i;
      while (i < n && (text[i] === " " || text[i] === "\t")) i++;
      let field: string;
      if (text[i] === '"') {
        const openLine = line;
        i++;
        let value = "";
        for (;;) {
          const close = text.indexOf('"', i);
          if (close === -1) {
            throw flaiError(`${source} line ${openLine}: a quoted field is never closed. Add the closing '"'.`);
          }
          const chunk = text.slice(i, close);
          for (let k = chunk.indexOf("\n"); k !== -1; k = chunk.indexOf("\n", k + 1)) line++;
          value += chunk;
          i = close + 1;
          if (text[i] !== '"') break;
          value += '"';
          i++;
        }
        start = i;
        while (i < n && text[i] !== "," && text[i] !== "\n" && text[i] !== "\r") i++;
        if (text.slice(start, i).trim() !== "") {
          throw flaiError(`${source} line ${line}: unexpected text after a closing quote. Quote the whole field.`);
        }
        field = value;
      } else {
        while (i < n && text[i] !== "," && text[i] !== "\n" && text[i] !== "\r") i++;
        field = text.slice(start, i);
      }
      fields.push(field);
      if (i < n && text[i] === ",") {
        i++;
        continue;
      }
      break;
    }
    if (i < n) {
      if (text[i] === "\r" && text[i + 1] === "\n") i++;
      i++;
      line++;
    }
    if (!(fields.length === 1 && fields[0]!.trim() === "")) records.push({ line: recordLine, fields });
  }
  return records;
}

// ---------------------------------------------------------------- shared

function finish(ds: Dataset, source: string): Dataset {
  let ones = 0;
  for (let r = 0; r < ds.rows; r++) ones += ds.labels[r]!;
  if (ones === 0 || ones === ds.rows) {
    const only = ones === 0 ? 0 : 1;
    throw flaiError(
      `${source}: all ${ds.rows} label(s) are ${only}; training needs both classes 0 and 1. ` +
        `Add rows labelled ${1 - only}.`,
    );
  }
  return ds;
}

function typeName(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "an array";
  return typeof v === "object" ? "an object" : `a ${typeof v}`;
}

function describeValue(v: unknown): string {
  if (typeof v === "number") return String(v);
  if (typeof v === "string") return `the string ${JSON.stringify(v)}`;
  if (v === undefined) return "missing";
  if (v === null) return "null";
  return `${typeName(v)} ${JSON.stringify(v)}`;
}
