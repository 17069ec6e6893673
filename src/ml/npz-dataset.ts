// A dataset saved by NumPy: np.savez(path, X=X, y=y) or np.savez_compressed (scikit-learn's names:
// X the rows × features matrix, y one label per row). Arrays are read by name, never by position.
// The result is the same Dataset the JSON and CSV parsers give for the same numbers, so a model
// trained on it has the same bytes whichever format the data came in.
import { flaiError } from "../errors.js";
import { shown, shownList } from "./shown.js";

import type { Dataset } from "./dataset.js";
import { indexLabels, jsonLabel } from "./labels.js";
import type { ClassLabel } from "./parameters.js";
import type { DatasetOptions } from "./schema.js";
import { readNpy, shapeText, type NpyArray } from "./npy-array.js";
import { readZipEntries, readZipEntry } from "./npz-zip.js";

/** Which arrays of the .npz hold the features and the labels. */
export interface NpzArrayNames {
  features: string;
  labels: string;
}

/** scikit-learn's names (fit(X, y)); the model spec's "label" names another labels array. */
export const DEFAULT_NPZ_ARRAYS: NpzArrayNames = { features: "X", labels: "y" };

/**
 * Bytes read for parsing in place (npz-file.ts readNpzInPlace): the parser may keep views of them as
 * the Dataset's features (no one else holds them, and they are never written). A WeakSet, so it
 * keeps nothing alive.
 */
const lentBytes = new WeakSet<Uint8Array>();

/** Lets the parser view `bytes` in place rather than copy out of them; the caller gives them up. */
export function lendInPlace(bytes: Uint8Array): void {
  lentBytes.add(bytes);
}

/** The Dataset in an .npz file's bytes. */
export function parseNpzDataset(bytes: Uint8Array, source: string, options: DatasetOptions = {}): Dataset {
  refuseCsvOptions(options, source);
  const names = { ...DEFAULT_NPZ_ARRAYS, ...(options.label !== undefined && { labels: options.label }) };
  const entries = readZipEntries(bytes, source);
  const lent = lentBytes.has(bytes);
  const read = (name: string, role: string): { array: NpyArray; owned: boolean } => {
    const entry = entries.get(`${name}.npy`);
    if (entry === undefined) throw missingArray(name, role, [...entries.keys()], source, options.label !== undefined);
    const where = `${source}: array ${shown(name)}`;
    // A stored entry is a view of the caller's bytes, ours to keep only when they were read for
    // that (npz-file.ts); an inflated one is a buffer of our own.
    return { array: readNpy(readZipEntry(bytes, entry, source), name, where), owned: entry.method !== 0 || lent };
  };
  const x = read(names.features, "features");
  const y = read(names.labels, "labels");
  const { rows, cols } = featureShape(x.array, source);
  if (y.array.shape.length !== 1 || y.array.shape[0] !== rows) {
    const hint = y.array.shape.length === 2 && y.array.shape[1] === 1 ? ` Save ${names.labels}.ravel() instead.` : "";
    throw flaiError(
      `${source}: array ${shown(names.labels)} has shape ${shapeText(y.array.shape)}, but the labels must be ` +
        `one per row of ${shown(names.features)}: shape (${rows},).${hint}`,
    );
  }
  const features = featureValues(x.array, x.owned, rows, cols);
  refuseNonFinite(features, cols, names.features, source);
  const where = (r: number) => `${source}: ${names.labels}[${r}] (row ${r})`;
  return { rows, cols, features, ...indexedLabels(y.array, options, source, where) };
}

function refuseCsvOptions(options: DatasetOptions, source: string): void {
  const csvOnly = (["ignore", "impute"] as const).filter((key) => options[key] !== undefined);
  if (csvOnly.length > 0) {
    throw flaiError(
      `${source} is a NumPy .npz dataset, but the model spec sets ${csvOnly.map((k) => `"${k}"`).join(", ")}, which name CSV ` +
        `columns. Remove ${csvOnly.length === 1 ? "it" : "them"} from the model spec (save only the feature columns in X), or supply the data as CSV.`,
    );
  }
}

function missingArray(name: string, role: string, members: string[], source: string, named: boolean): Error {
  const found = shownList(members.map((m) => m.replace(/\.npy$/, ""))) || "none";
  const how = named ? `(the model spec's "label")` : `(the ${role}, scikit-learn's name)`;
  return flaiError(
    `${source} has no array ${shown(name)} ${how}; its arrays are ${found}. ` +
      `Save the features as X and the labels as y: np.savez(path, X=features, y=labels)` +
      (role === "labels" ? `, or name the labels array in the model spec's "label".` : "."),
  );
}

function featureShape(x: NpyArray, source: string): { rows: number; cols: number } {
  if (x.shape.length !== 2) {
    throw flaiError(
      `${source}: array ${shown(x.name)} has shape ${shapeText(x.shape)}; the features must be 2-D, one row per ` +
        `sample. Reshape it before saving, e.g. ${x.name}.reshape(len(${x.name}), -1).`,
    );
  }
  const [rows, cols] = x.shape as [number, number];
  if (rows === 0) throw flaiError(`${source}: array ${shown(x.name)} has no rows. Add rows, at least one per class.`);
  if (cols === 0) throw flaiError(`${source}: array ${shown(x.name)} has no columns. Every row needs at least one feature value.`);
  if (x.kind === "unicode") {
    throw flaiError(
      `${source}: array ${shown(x.name)} holds strings (dtype ${x.descr}); features must be numbers. Encode them first, e.g. ${x.name}.astype(np.float64).`,
    );
  }
  return { rows, cols };
}

/**
 * Row-major float64 features. float64 in C order is at most one copy of the stored bytes (none
 * when the buffer is ours to keep, inflated or read in place, and aligned); other dtypes and
 * Fortran order convert.
 */
function featureValues(x: NpyArray, owned: boolean, rows: number, cols: number): Float64Array {
  const { data } = x;
  if (x.kind === "float" && x.itemSize === 8 && !x.fortranOrder) {
    if (owned && data.byteOffset % 8 === 0) return new Float64Array(data.buffer, data.byteOffset, rows * cols);
    const out = new Float64Array(rows * cols);
    new Uint8Array(out.buffer).set(data);
    return out;
  }
  const values = numericView(x);
  const out = new Float64Array(rows * cols);
  if (!x.fortranOrder) {
    for (let k = 0; k < out.length; k++) out[k] = Number(values[k]!);
    return out;
  }
  for (let c = 0; c < cols; c++) {
    for (let r = 0; r < rows; r++) out[r * cols + c] = Number(values[c * rows + r]!);
  }
  return out;
}

type NumericArray =
  | Float64Array
  | Float32Array
  | Int8Array
  | Int16Array
  | Int32Array
  | BigInt64Array
  | Uint8Array
  | Uint16Array
  | Uint32Array
  | BigUint64Array;

/** The values as a typed array (copied to an aligned buffer first when they sit at an odd offset). */
function numericView(x: NpyArray): NumericArray {
  const data = x.data.byteOffset % x.itemSize === 0 ? x.data : new Uint8Array(x.data); // a copy (Buffer#slice would not be)
  const n = data.byteLength / x.itemSize;
  const Type = TYPED[`${x.kind}${x.itemSize}`];
  if (Type === undefined) throw new Error(`no typed array for ${x.descr}`); // npy-array.ts admits only the kinds above
  return new Type(data.buffer, data.byteOffset, n);
}

const TYPED: Record<string, new (buffer: ArrayBufferLike, offset: number, length: number) => NumericArray> = {
  float8: Float64Array,
  float4: Float32Array,
  int1: Int8Array,
  int2: Int16Array,
  int4: Int32Array,
  int8: BigInt64Array,
  uint1: Uint8Array,
  uint2: Uint16Array,
  uint4: Uint32Array,
  uint8: BigUint64Array,
  bool1: Uint8Array,
};

/** As the JSON parser: every feature a finite number, the first that is not named by row and column. */
function refuseNonFinite(features: Float64Array, cols: number, name: string, source: string): void {
  for (let k = 0; k < features.length; k++) {
    const v = features[k]!;
    if (v - v !== 0) {
      const r = Math.floor(k / cols);
      const c = k % cols;
      throw flaiError(
        `${source}: row ${r}, column ${c} (${name}[${r}, ${c}]) is ${v}; every feature must be a finite number. ` +
          `Fix or remove that row (e.g. np.nan_to_num, or drop rows with np.isnan(${name}).any(axis=1)).`,
      );
    }
  }
}

/**
 * Labels indexed as the JSON parser indexes them, but each distinct value is checked and looked up
 * once (rows carry a code into the distinct values, in first-row order), so an error names the
 * first row holding the bad label and a million rows cost a Map lookup each, not a string each.
 */
function indexedLabels(
  y: NpyArray,
  options: DatasetOptions,
  source: string,
  where: (r: number) => string,
): { labels: Uint8Array; classes: ClassLabel[] } {
  const { codes, distinct, firstRow } = y.kind === "unicode" ? distinctStrings(y, where) : distinctNumbers(y, where);
  const indexed = indexLabels(distinct, options.classes, source, (u) => where(firstRow[u]!));
  const labels = new Uint8Array(codes.length);
  for (let r = 0; r < codes.length; r++) labels[r] = indexed.labels[codes[r]!]!;
  return { labels, classes: indexed.classes };
}

interface DistinctLabels {
  /** Per row, the index of its value in `distinct`. */
  codes: Uint32Array;
  distinct: ClassLabel[];
  firstRow: number[];
}

function distinctNumbers(y: NpyArray, where: (r: number) => string): DistinctLabels {
  const values = numericView(y);
  const codes = new Uint32Array(values.length);
  const seen = new Map<number, number>();
  const distinct: ClassLabel[] = [];
  const firstRow: number[] = [];
  for (let r = 0; r < values.length; r++) {
    const v = Number(values[r]!); // bool labels read as 0/1, the binary task's classes
    let code = seen.get(v);
    if (code === undefined) {
      if (typeof values[r] === "bigint" && !Number.isSafeInteger(v)) {
        throw flaiError(
          `${where(r)} is ${values[r]}, beyond 2^53; integer labels must be exact in float64. Renumber the classes (e.g. np.unique(${y.name}, return_inverse=True)).`,
        );
      }
      if (Number.isNaN(v)) throw flaiError(`${where(r)} is NaN; every row needs a label. Drop the rows without one.`);
      code = distinct.length;
      seen.set(v, code);
      distinct.push(jsonLabel(v === 0 ? 0 : v, where(r))); // a non-integer float is refused here; -0 is class 0
      firstRow.push(r);
    }
    codes[r] = code;
  }
  return { codes, distinct, firstRow };
}

/**
 * numpy '<Un' strings: n UTF-32LE code points each, padded with trailing NULs (dropped, as numpy
 * does). Rows are compared as code points, through a hash of each row, so only distinct values
 * become strings.
 */
function distinctStrings(y: NpyArray, where: (r: number) => string): DistinctLabels {
  const width = y.itemSize / 4;
  const rows = y.shape[0]!;
  const points = codePoints(y, width, where);
  const codes = new Uint32Array(rows);
  const buckets = new Map<number, number[]>();
  const distinct: ClassLabel[] = [];
  const firstRow: number[] = [];
  const same = (a: number, b: number) => {
    for (let k = 0; k < width; k++) if (points[a * width + k] !== points[b * width + k]) return false;
    return true;
  };
  for (let r = 0; r < rows; r++) {
    let hash = 0;
    for (let k = r * width; k < (r + 1) * width; k++) hash = (Math.imul(hash, 31) + points[k]!) | 0;
    const bucket = buckets.get(hash);
    let code: number | undefined;
    for (const c of bucket ?? []) if (same(firstRow[c]!, r)) code = c;
    if (code === undefined) {
      code = distinct.length;
      if (bucket === undefined) buckets.set(hash, [code]);
      else bucket.push(code);
      const text = String.fromCodePoint(...points.subarray(r * width, (r + 1) * width));
      distinct.push(jsonLabel(text.replace(/\0+$/, ""), where(r)));
      firstRow.push(r);
    }
    codes[r] = code;
  }
  return { codes, distinct, firstRow };
}

/** The column's code points, each checked to be a Unicode scalar value (a corrupt file is named). */
function codePoints(y: NpyArray, width: number, where: (r: number) => string): Uint32Array {
  const data = y.data.byteOffset % 4 === 0 ? y.data : new Uint8Array(y.data); // a copy when unaligned
  const points = new Uint32Array(data.buffer, data.byteOffset, data.byteLength / 4);
  for (let k = 0; k < points.length; k++) {
    const cp = points[k]!;
    if (cp > 0x10ffff || (cp >= 0xd800 && cp < 0xe000)) {
      throw flaiError(`${where(Math.floor(k / width))} is not valid Unicode (code point 0x${cp.toString(16)}); the file is corrupt.`);
    }
  }
  return points;
}
