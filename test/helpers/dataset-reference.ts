// The CSV reader as it was before issue 15's byte-level parsers (src/ml/csv-dataset.ts,
// src/ml/json-dataset.ts): the whole file decoded to one string and split into records of field
// strings; JSON goes through src's text reader (JSON.parse), which is the old one. Kept only as the
// reference the new readers are compared with
// (test/ml/dataset-stream.test.ts): the same numbers bit for bit, the same errors.
import { flaiError } from "../../src/errors.js";
import { shown } from "../../src/ml/shown.js";
import { csvLabel, indexLabels } from "../../src/ml/labels.js";
import type { ClassLabel } from "../../src/ml/parameters.js";
import {
  ignoredColumns,
  imputeMissing,
  labelColumn,
  MISSING_CELLS,
  refuseIdColumns,
  type DataSchema,
  type DatasetOptions,
} from "../../src/ml/schema.js";

import { isNpy } from "../../src/ml/npy-array.js";
import { parseNpzDataset } from "../../src/ml/npz-dataset.js";
import { decodeUtf8, isZip, parseJsonDatasetText, type Dataset } from "../../src/ml/dataset.js";

/**
 * Parses a JSON (`{"features": number[][], "labels": [...]}`), CSV (header row + label column) or
 * NumPy .npz (arrays X and y, as np.savez writes) dataset. The format is detected from content, not
 * the file name, because storage roots carry none.
 * Labels may be integers or class names; `options` carries the model spec's classes and schema.
 * Data with one class only is accepted here (a federated client's share may be); training that
 * needs every class checks that itself (labels.ts, requireEveryClass).
 */
export function parseDatasetReference(bytes: Uint8Array, source: string, options: DatasetOptions = {}): Dataset {
  if (isZip(bytes)) return parseNpzDataset(bytes, source, options);
  if (isNpy(bytes)) {
    throw flaiError(
      `${source} is a single NumPy .npy array: it holds no labels (or no features), and a column cannot be told ` +
        `from its position. Save both arrays by name in one .npz file: np.savez(path, X=features, y=labels).`,
    );
  }
  const text = decodeUtf8(bytes, source);
  const first = text.search(/\S/);
  if (first === -1) {
    throw flaiError(
      `${source} is empty. Provide a JSON dataset {"features": [[...], ...], "labels": [0, 1, ...]} ` +
        `or a CSV file with a header row and a "label" column.`,
    );
  }
  return text[first] === "{" ? parseJsonDataset(text, source, options) : parseCsvDataset(text, source, options);
}

// JSON: the text reader src/ml/dataset.ts still uses for files not in the plain form is the old one
// (parseJsonDatasetText, JSON.parse); only the model-spec check before it moved.
function parseJsonDataset(text: string, source: string, options: DatasetOptions): Dataset {
  const csvOnly = (["label", "ignore", "impute"] as const).filter((key) => options[key] !== undefined);
  if (csvOnly.length > 0) {
    throw flaiError(
      `${source} is a JSON dataset, but the model spec sets ${csvOnly.map((k) => `"${k}"`).join(", ")}, which name CSV ` +
        `columns. Remove ${csvOnly.length === 1 ? "it" : "them"} from the model spec, or supply the data as CSV.`,
    );
  }
  return parseJsonDatasetText(text, source, options);
}

// ---------------------------------------------------------------- CSV (was src/ml/csv-dataset.ts)
// Strict on purpose: Number() would accept "", " ", "0x1f" and "1_0"-like surprises silently.
const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/**
 * A CSV dataset: a header row, then one row per sample. The label column is the spec's "label"
 * (or the one column named label/y/target); "ignore" columns are left out; every other column is
 * a numeric feature. Missing cells (empty, NA, NaN) are refused unless imputing.
 */
function parseCsvDataset(text: string, source: string, options: DatasetOptions): Dataset {
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
        `Add a header row naming the columns, e.g. "${names
          .slice(0, -1)
          .map((_, i) => `x${i}`)
          .join(",")},label".`,
    );
  }
  const labelIndex = labelColumn(names, options.label, source);
  const ignored = ignoredColumns(names, options.ignore ?? [], labelIndex, source);
  const featureIndex = names.flatMap((_, k) => (k === labelIndex || ignored.has(k) ? [] : [k]));
  const columns = featureIndex.map((k) => names[k]!);
  if (featureIndex.length === 0) {
    throw flaiError(`${source}: no feature columns are left besides the label ${shown(names[labelIndex])} and "ignore".`);
  }
  const data = records.slice(1);
  if (data.length === 0) {
    throw flaiError(`${source} has a header but no data rows. Add rows, at least one per class.`);
  }

  const rows = data.length;
  const cols = featureIndex.length;
  const features = new Float64Array(rows * cols);
  const raw: ClassLabel[] = [];
  const imputing = options.impute !== undefined;
  const where = (r: number, k: number) => `${source} line ${data[r]!.line} (data row ${r}), column ${k + 1} ${shown(names[k])}`;
  for (let r = 0; r < rows; r++) {
    const { line, fields } = data[r]!;
    if (fields.length !== names.length) {
      throw flaiError(
        `${source} line ${line} (data row ${r}) has ${fields.length} value(s), expected ${names.length} ` +
          `as in the header. Every row needs one value per header column.`,
      );
    }
    raw.push(csvLabel(fields[labelIndex]!.trim(), where(r, labelIndex)));
    for (let c = 0; c < cols; c++) {
      const k = featureIndex[c]!;
      features[r * cols + c] = featureCell(fields[k]!.trim(), imputing, () => `${where(r, k)} (feature index ${c})`);
    }
  }
  const impute = imputing ? imputeMissing(features, rows, columns, options.impute!, source) : null;
  refuseIdColumns(features, rows, columns, source);
  const { labels, classes } = indexLabels(raw, options.classes, source, (r) => where(r, labelIndex));
  const schema: DataSchema = {
    label: names[labelIndex]!,
    columns,
    ignore: featureIgnored(names, ignored),
    impute: impute === null ? null : { strategy: "mean", values: impute },
  };
  return { rows, cols, features, labels, classes, columns, schema };
}

/** A feature cell's number; NaN for a missing cell when imputing; otherwise errors naming the cell. */
function featureCell(cell: string, imputing: boolean, where: () => string): number {
  if (DECIMAL.test(cell)) {
    const v = Number(cell);
    if (Number.isFinite(v)) return v;
  }
  const what = cell === "" ? "empty" : shown(cell);
  if (MISSING_CELLS.has(cell.toLowerCase())) {
    if (imputing) return Number.NaN;
    throw flaiError(
      `${where()} is ${what}, a missing value. Fill it, or set "impute": "mean" in the model spec ` +
        `to fill missing values with the column's training mean.`,
    );
  }
  throw flaiError(
    `${where()} is ${what}; every feature must be a finite decimal number. Fix or remove that row, or, ` +
      `if the column is not a feature (an ID or text), list it in the model spec's "ignore".`,
  );
}

function featureIgnored(names: string[], ignored: Set<number>): string[] {
  return names.filter((_, k) => ignored.has(k));
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
