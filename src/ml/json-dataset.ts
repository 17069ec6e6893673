// A JSON dataset {"features": [[numbers...], ...], "labels": [...]} read from its bytes (issue 15:
// memory bounded by the data, and no ~512 MB text limit). Only that plain form is read here; any
// other file (a syntax error, a key given twice, a value of the wrong kind, other keys holding
// arrays or objects) is left to the text reader in dataset.ts, whose errors name what is wrong.
import { asBuffer, scanDecimal } from "./byte-text.js";
import { allocateFeatures } from "./csv-dataset.js";
import type { ClassLabel } from "./parameters.js";

/** What scanJsonDataset read. */
export interface ScannedJson {
  rows: number;
  cols: number;
  features: Float64Array;
  labels: ScannedLabels;
}

/**
 * The labels as one small id per row into `distinct` (label values in order of first appearance,
 * `firstRow` where each first appears), not a JavaScript value per row. Indexing `distinct` gives
 * the same classes, and the same first failing row, as indexing every row's label.
 */
export interface ScannedLabels {
  ids: Uint32Array;
  distinct: ClassLabel[];
  firstRow: number[];
}

/** Where the plain form was left: the text reader takes over and names the problem. */
export class NotPlain {
  constructor(readonly offset: number) {}
}

const JSON_NUMBER = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/;

/** Reads the plain form from `start` (the first byte after any BOM); a NotPlain when the file is not in it. */
export function scanJsonDataset(bytes: Uint8Array, start: number, source: string): ScannedJson | NotPlain {
  const scanner = new JsonScanner(bytes, start, source);
  try {
    return scanner.dataset();
  } catch (error) {
    if (error instanceof NotPlain) return error;
    throw error;
  }
}

class JsonScanner {
  private i: number;
  private readonly n: number;

  constructor(
    private readonly bytes: Uint8Array,
    start: number,
    private readonly source: string,
  ) {
    this.i = start;
    this.n = bytes.length;
  }

  dataset(): ScannedJson {
    let features: { rows: number; cols: number; values: Float64Array } | undefined;
    let labels: ScannedLabels | undefined;
    const keys = new Set<string>();
    this.ws();
    this.expect(0x7b);
    this.ws();
    if (this.bytes[this.i] !== 0x7d) {
      for (;;) {
        this.ws();
        const key = this.string();
        if (keys.has(key)) this.notPlain();
        keys.add(key);
        this.ws();
        this.expect(0x3a);
        this.ws();
        if (key === "features") features = this.features(labels !== undefined);
        else if (key === "labels") labels = this.labels();
        else this.scalar();
        this.ws();
        if (this.bytes[this.i] !== 0x2c) break;
        this.i++;
      }
    }
    this.expect(0x7d);
    this.ws();
    if (this.i !== this.n || features === undefined || labels === undefined || labels.ids.length !== features.rows) this.notPlain();
    return { rows: features.rows, cols: features.cols, features: features.values, labels };
  }

  /** [[n, n, ...], ...]: at least one row, every row as long as the first, every number finite. */
  private features(labelsRead: boolean): { rows: number; cols: number; values: Float64Array } {
    this.expect(0x5b);
    this.ws();
    const first: number[] = [];
    this.row((v) => first.push(v));
    const cols = first.length;
    // Each later row opens with "[", and so does "labels" when it follows: in the plain form this is exact.
    let capacity = 1 + Math.max(0, this.count(0x5b) - (labelsRead ? 0 : 1));
    let values = allocateFeatures(capacity, cols, this.source);
    values.set(first);
    let rows = 1;
    for (;;) {
      this.ws();
      if (this.bytes[this.i] !== 0x2c) break;
      this.i++;
      this.ws();
      if (rows === capacity) {
        capacity = Math.ceil(capacity * 1.5) + 1;
        const grown = allocateFeatures(capacity, cols, this.source);
        grown.set(values);
        values = grown;
      }
      let c = 0;
      const base = rows * cols;
      this.row((v) => {
        if (c === cols) this.notPlain();
        values[base + c++] = v;
      });
      if (c !== cols) this.notPlain();
      rows++;
    }
    this.expect(0x5d);
    return { rows, cols, values: rows === capacity ? values : values.slice(0, rows * cols) };
  }

  /** One row [n, n, ...] of at least one finite number, each passed to `put`. */
  private row(put: (v: number) => void): void {
    this.expect(0x5b);
    for (;;) {
      this.ws();
      put(this.number());
      this.ws();
      if (this.bytes[this.i] !== 0x2c) break;
      this.i++;
    }
    this.expect(0x5d);
  }

  /** [label, ...]: safe integers or strings that are not blank (jsonLabel's rule). */
  private labels(): ScannedLabels {
    let ids = new Uint32Array(1024);
    let rows = 0;
    const distinct: ClassLabel[] = [];
    const firstRow: number[] = [];
    const idOf = new Map<ClassLabel, number>();
    this.expect(0x5b);
    this.ws();
    if (this.bytes[this.i] === 0x5d) this.notPlain();
    for (;;) {
      this.ws();
      let label: ClassLabel;
      if (this.bytes[this.i] === 0x22) {
        label = this.string();
        if (label.trim() === "") this.notPlain();
      } else {
        label = this.number();
        if (!Number.isSafeInteger(label)) this.notPlain();
      }
      let id = idOf.get(label);
      if (id === undefined) {
        id = distinct.push(label) - 1;
        idOf.set(label, id);
        firstRow.push(rows);
      }
      if (rows === ids.length) {
        const grown = new Uint32Array(ids.length * 2);
        grown.set(ids);
        ids = grown;
      }
      ids[rows++] = id;
      this.ws();
      if (this.bytes[this.i] !== 0x2c) break;
      this.i++;
    }
    this.expect(0x5d);
    return { ids: ids.slice(0, rows), distinct, firstRow };
  }

  /** A string, number, true, false or null under a key this reader does not use. */
  private scalar(): void {
    const c = this.bytes[this.i];
    if (c === 0x22) return void this.skipString();
    for (const word of ["true", "false", "null"]) {
      if (asBuffer(this.bytes).toString("latin1", this.i, this.i + word.length) === word) {
        this.i += word.length;
        return;
      }
    }
    this.number();
  }

  /** A finite JSON number, converted exactly as JSON.parse does. */
  private number(): number {
    const { bytes } = this;
    const start = this.i;
    let end = start;
    for (;;) {
      const c = bytes[end];
      if (c === undefined || !((c >= 0x30 && c <= 0x39) || c === 0x2d || c === 0x2b || c === 0x2e || c === 0x65 || c === 0x45)) break;
      end++;
    }
    let v = scanDecimal(bytes, start, end, true);
    if (v === undefined) {
      const text = asBuffer(bytes).toString("latin1", start, end);
      if (!JSON_NUMBER.test(text)) this.notPlain();
      v = Number(text);
      if (!Number.isFinite(v)) this.notPlain();
    }
    this.i = end;
    return v;
  }

  /** A JSON string's value; escapes are resolved by JSON.parse of that string alone. */
  private string(): string {
    const start = this.i;
    const escaped = this.skipString();
    const text = asBuffer(this.bytes).toString("utf8", start + 1, this.i - 1);
    return escaped ? (JSON.parse(`"${text}"`) as string) : text;
  }

  /** Moves past a string, checking its syntax; true when it holds escapes. */
  private skipString(): boolean {
    const { bytes } = this;
    this.expect(0x22);
    let escaped = false;
    for (;;) {
      const c = bytes[this.i];
      if (c === undefined || c < 0x20) this.notPlain();
      this.i++;
      if (c === 0x22) return escaped;
      if (c === 0x5c) {
        escaped = true;
        const e = bytes[this.i];
        if (e === 0x75) {
          for (let k = 1; k <= 4; k++) if (!isHex(bytes[this.i + k])) this.notPlain();
          this.i += 5;
        } else if (e === 0x22 || e === 0x5c || e === 0x2f || e === 0x62 || e === 0x66 || e === 0x6e || e === 0x72 || e === 0x74) this.i++;
        else this.notPlain();
      }
    }
  }

  private ws(): void {
    const { bytes } = this;
    for (;;) {
      const c = bytes[this.i];
      if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) return;
      this.i++;
    }
  }

  private expect(c: number): void {
    if (this.bytes[this.i] !== c) this.notPlain();
    this.i++;
  }

  /** How many bytes `c` from here on: an upper bound on the rows still to come, for one allocation. */
  private count(c: number): number {
    let count = 0;
    for (let k = this.bytes.indexOf(c, this.i); k !== -1; k = this.bytes.indexOf(c, k + 1)) count++;
    return count;
  }

  private notPlain(): never {
    throw new NotPlain(this.i);
  }
}

function isHex(c: number | undefined): boolean {
  return c !== undefined && ((c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66));
}
