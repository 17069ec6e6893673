import { Buffer } from "node:buffer";

import { flaiError } from "../errors.js";
import { shown } from "./shown.js";
import type { Dataset } from "./dataset.js";
import { decodeRange, firstNonSpace, isAsciiSpace, scanDecimal } from "./byte-text.js";
import { csvLabel, indexLabels } from "./labels.js";
import type { ClassLabel } from "./parameters.js";
import {
  ignoredColumns,
  imputeMissing,
  labelColumn,
  MISSING_CELLS,
  refuseIdColumns,
  type DataSchema,
  type DatasetOptions,
} from "./schema.js";

// Strict on purpose: Number() would accept "", " ", "0x1f" and "1_0"-like surprises silently.
const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/** Label texts (at most this many, of at most so many bytes) matched as bytes, without a string per row. */
const SHORT_LABELS = 16;
const SHORT_LABEL_BYTES = 32;

const COMMA = 0x2c;
const QUOTE = 0x22;
const LF = 0x0a;
const CR = 0x0d;

/**
 * A CSV dataset: a header row, then one row per sample. The label column is the spec's "label"
 * (or the one column named label/y/target); "ignore" columns are left out; every other column is
 * a numeric feature. Missing cells (empty, NA, NaN) are refused unless imputing.
 *
 * Read from the bytes of valid UTF-8 text from `start` on, in two passes (issue 15: memory bounded
 * by the data): the first checks the syntax and counts the rows, the second writes each feature
 * straight into the features array. Plain numbers are converted from the bytes; only header
 * names, labels and cells that are not plain numbers become strings.
 */
export function parseCsvDataset(bytes: Uint8Array, start: number, source: string, options: DatasetOptions): Dataset {
  const reader = new CsvReader(bytes, start, source);
  const { names, records } = scanCsv(reader, source);
  const labelIndex = labelColumn(names, options.label, source);
  const ignored = ignoredColumns(names, options.ignore ?? [], labelIndex, source);
  const featureIndex = names.flatMap((_, k) => (k === labelIndex || ignored.has(k) ? [] : [k]));
  const columns = featureIndex.map((k) => names[k]!);
  if (featureIndex.length === 0) {
    throw flaiError(`${source}: no feature columns are left besides the label ${shown(names[labelIndex])} and "ignore".`);
  }
  const rows = records - 1;
  if (rows === 0) {
    throw flaiError(`${source} has a header but no data rows. Add rows, at least one per class.`);
  }

  const cols = featureIndex.length;
  const features = allocateFeatures(rows, cols, source);
  const labelOf = new LabelTable();
  const rowLabels = new Uint32Array(rows);
  const imputing = options.impute !== undefined;
  const where = (line: number, r: number, k: number) => `${source} line ${line} (data row ${r}), column ${k + 1} ${shown(names[k])}`;
  reader.rewind();
  reader.keep = names.length; // a row with more fields is refused by its count alone
  let r = -2; // the header is row -1
  while (reader.next()) {
    if (reader.isBlank()) continue;
    if (++r === -1) continue;
    const line = reader.line;
    if (reader.count !== names.length) {
      throw flaiError(
        `${source} line ${line} (data row ${r}) has ${reader.count} value(s), expected ${names.length} ` +
          `as in the header. Every row needs one value per header column.`,
      );
    }
    rowLabels[r] =
      reader.knownLabel(labelIndex, labelOf) ??
      labelOf.id(reader.text(labelIndex, () => where(line, r, labelIndex)).trim(), r, line, () => where(line, r, labelIndex));
    for (let c = 0; c < cols; c++) {
      const k = featureIndex[c]!;
      const fast = reader.number(k);
      features[r * cols + c] =
        fast ?? featureCell(reader.text(k, () => where(line, r, k)).trim(), imputing, () => `${where(line, r, k)} (feature index ${c})`);
    }
  }
  const impute = imputing ? imputeMissing(features, rows, columns, options.impute!, source) : null;
  refuseIdColumns(features, rows, columns, source);
  const { labels, classes } = labelOf.index(rowLabels, options.classes, source, (line, row) => where(line, row, labelIndex));
  const schema: DataSchema = {
    label: names[labelIndex]!,
    columns,
    ignore: featureIgnored(names, ignored),
    impute: impute === null ? null : { strategy: "mean", values: impute },
  };
  return { rows, cols, features, labels, classes, columns, schema };
}

/**
 * The first pass: checks the syntax, counts the records and reads the header's names, refusing a
 * header that is missing, too narrow or looks like data.
 */
function scanCsv(reader: CsvReader, source: string): { names: string[]; records: number } {
  let records = 0;
  let headerFields: string[] = [];
  let headerLine = 0;
  while (reader.next()) {
    if (reader.isBlank()) continue;
    reader.keep = 1; // after the header, the first pass only counts fields: no ranges kept for a runaway line
    if (records++ === 0) {
      headerLine = reader.line;
      headerFields = Array.from({ length: reader.count }, (_, k) => reader.text(k, () => `${source} line ${headerLine}: a header name`));
    }
  }
  if (records === 0) {
    throw flaiError(`${source} is empty. A CSV dataset needs a header row and at least one data row.`);
  }
  const names = headerFields.map((f) => f.trim());
  if (names.length < 2) {
    const hint = /[;\t]/.test(headerFields[0] ?? "") ? " It looks like ';' or tab separated; use commas." : "";
    throw flaiError(
      `${source} line ${headerLine}: the header has ${names.length} column; a CSV dataset needs at least one ` +
        `feature column and a label column, separated by commas.${hint}`,
    );
  }
  if (names.every((n) => DECIMAL.test(n))) {
    throw flaiError(
      `${source} line ${headerLine}: the first row looks like data, not a header. ` +
        `Add a header row naming the columns, e.g. "${names
          .slice(0, -1)
          .map((_, i) => `x${i}`)
          .join(",")},label".`,
    );
  }
  return { names, records };
}

/** rows × cols doubles; more than this process can allocate is a user error, not a RangeError. */
export function allocateFeatures(rows: number, cols: number, source: string): Float64Array {
  try {
    return new Float64Array(rows * cols);
  } catch (error) {
    if (!(error instanceof RangeError)) throw error;
    throw flaiError(
      `${source} has ${rows} rows of ${cols} features: ${rows * cols * 8} bytes of numbers, more than this process can allocate. ` +
        `Split the data across federated clients, or train on a sample of it.`,
      error,
    );
  }
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

/**
 * The distinct labels of a CSV file, in order of first appearance, so that a row's label is stored
 * as a small id instead of a string per row. Indexing the distinct labels gives the same classes
 * and the same first failing row as indexing every row's label (first appearances keep row order).
 */
class LabelTable {
  private readonly byText = new Map<string, number>();
  private readonly byLabel = new Map<ClassLabel, number>();
  private readonly distinct: ClassLabel[] = [];
  private readonly firstRow: number[] = [];
  private readonly firstLine: number[] = [];

  /** The first few short ASCII label texts seen, as bytes, so a row's label needs no string (see knownLabel). */
  readonly shortTexts: Uint8Array[] = [];
  readonly shortIds: number[] = [];

  /** The id of a row's (trimmed) label cell; csvLabel's error names the row. */
  id(cell: string, row: number, line: number, where: () => string): number {
    const known = this.byText.get(cell);
    if (known !== undefined) return known;
    const label = csvLabel(cell, where());
    let id = this.byLabel.get(label);
    if (id === undefined) {
      id = this.distinct.push(label) - 1;
      this.byLabel.set(label, id);
      this.firstRow.push(row);
      this.firstLine.push(line);
    }
    this.byText.set(cell, id);
    if (this.shortTexts.length < SHORT_LABELS && cell.length <= SHORT_LABEL_BYTES && /^[\x21-\x7e]*$/.test(cell)) {
      this.shortTexts.push(Buffer.from(cell, "latin1"));
      this.shortIds.push(id);
    }
    return id;
  }

  index(
    rowIds: Uint32Array,
    classes: readonly ClassLabel[] | undefined,
    source: string,
    where: (line: number, row: number) => string,
  ): { labels: Uint8Array; classes: ClassLabel[] } {
    const indexed = indexLabels(this.distinct, classes, source, (k) => where(this.firstLine[k]!, this.firstRow[k]!));
    const labels = new Uint8Array(rowIds.length);
    for (let r = 0; r < rowIds.length; r++) labels[r] = indexed.labels[rowIds[r]!]!;
    return { labels, classes: indexed.classes };
  }
}

/**
 * RFC 4180 records over bytes: comma separated, optional double quotes, CRLF or LF. Each next()
 * reads one record into reused arrays of field ranges (no object per record or field); line is the
 * 1-based line where it starts, as editors show it. Syntax errors name the line.
 */
class CsvReader {
  line = 0;
  count = 0;
  /** How many of a record's field ranges are kept (the rest are only counted). */
  keep = Infinity;
  private pos: number;
  private nextLine = 1;
  /** Per field: the range of its raw text; for a quoted field the text between the quotes. */
  private readonly starts: number[] = [];
  private readonly ends: number[] = [];
  private readonly quoted: boolean[] = [];

  constructor(
    private readonly bytes: Uint8Array,
    private readonly start: number,
    private readonly source: string,
  ) {
    this.pos = start;
  }

  rewind(): void {
    this.pos = this.start;
    this.nextLine = 1;
  }

  next(): boolean {
    const { bytes } = this;
    const n = bytes.length;
    if (this.pos >= n) return false;
    this.line = this.nextLine;
    this.count = 0;
    let i = this.pos;
    for (;;) {
      let start = i;
      while (i < n && (bytes[i] === 0x20 || bytes[i] === 0x09)) i++;
      if (bytes[i] === QUOTE) {
        const openLine = this.nextLine;
        start = ++i;
        for (;;) {
          const close = bytes.indexOf(QUOTE, i);
          if (close === -1) {
            throw flaiError(`${this.source} line ${openLine}: a quoted field is never closed. Add the closing '"'.`);
          }
          for (let k = i; k < close; k++) if (bytes[k] === LF) this.nextLine++;
          i = close + 1;
          if (bytes[i] !== QUOTE) break;
          i++;
        }
        this.push(start, i - 1, true);
        const after = i;
        while (i < n && bytes[i] !== COMMA && bytes[i] !== LF && bytes[i] !== CR) i++;
        if (firstNonSpace(bytes, after, i) !== -1) {
          throw flaiError(`${this.source} line ${this.nextLine}: unexpected text after a closing quote. Quote the whole field.`);
        }
      } else {
        while (i < n && bytes[i] !== COMMA && bytes[i] !== LF && bytes[i] !== CR) i++;
        this.push(start, i, false);
      }
      if (i < n && bytes[i] === COMMA) {
        i++;
        continue;
      }
      break;
    }
    if (i < n) {
      if (bytes[i] === CR && bytes[i + 1] === LF) i++;
      i++;
      this.nextLine++;
    }
    this.pos = i;
    return true;
  }

  /** A record of one field that trims to nothing: a blank line, skipped. */
  isBlank(): boolean {
    return this.count === 1 && firstNonSpace(this.bytes, this.starts[0]!, this.ends[0]!) === -1;
  }

  /** Field k as text (untrimmed; a quoted field unescaped). */
  text(k: number, where: () => string): string {
    const raw = decodeRange(this.bytes, this.starts[k]!, this.ends[k]!, where);
    return this.quoted[k] ? raw.replaceAll('""', '"') : raw;
  }

  /**
   * The label id of field k when its bytes, spaces around them aside, are one of the table's short
   * ASCII texts (then the trimmed text is that text); else undefined, and the caller decodes the cell.
   */
  knownLabel(k: number, table: LabelTable): number | undefined {
    if (this.quoted[k]) return undefined;
    const { bytes } = this;
    let s = this.starts[k]!;
    let e = this.ends[k]!;
    while (s < e && isAsciiSpace(bytes[s]!)) s++;
    while (e > s && isAsciiSpace(bytes[e - 1]!)) e--;
    const texts = table.shortTexts;
    next: for (let t = 0; t < texts.length; t++) {
      const text = texts[t]!;
      if (text.length !== e - s) continue;
      for (let j = 0; j < text.length; j++) if (text[j] !== bytes[s + j]) continue next;
      return table.shortIds[t];
    }
    return undefined;
  }

  /** Field k's number when it is a plain decimal (spaces around it aside) read exactly from the bytes, else undefined. */
  number(k: number): number | undefined {
    let s = this.starts[k]!;
    let e = this.ends[k]!;
    while (s < e && isAsciiSpace(this.bytes[s]!)) s++;
    while (e > s && isAsciiSpace(this.bytes[e - 1]!)) e--;
    return scanDecimal(this.bytes, s, e, false);
  }

  private push(start: number, end: number, quoted: boolean): void {
    if (this.count >= this.keep) {
      this.count++;
      return;
    }
    this.starts[this.count] = start;
    this.ends[this.count] = end;
    this.quoted[this.count] = quoted;
    this.count++;
  }
}
