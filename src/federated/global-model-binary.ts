import { endianness } from "node:os";

import { flaiError } from "../errors.js";
import { decodeUtf8, parseJsonText } from "../ml/dataset.js";
import { canonicalJson } from "../ml/model.js";
import { BINARY_CLASSES, outputsFor, type JsonBias, type JsonWeights } from "../ml/parameters.js";

import type { GlobalModel } from "./global-model.js";

/**
 * The binary global model, version 1 (a task's `federated.modelFormat: "binary"`):
 *
 *   0   8 bytes  magic 89 46 4C 41 49 47 4D 0A ("\x89FLAIGM\n": 0x89 is never the first byte of UTF-8 JSON)
 *   8   uint32   version, little-endian (1)
 *   12  uint32   header length H in bytes, little-endian
 *   16  H bytes  header: canonical JSON {"arrays": [[name, length], ...], "model": {...}}
 *        zero bytes up to the next multiple of 8
 *        the arrays, in header order, float64 little-endian, back to back; nothing after the last
 *
 * "model" is the global model without its numeric arrays (weights, bias, correction, and the
 * standardization's mean and scale, which stays null in "model" when there is none). Arrays are
 * named and ordered as ARRAY_NAMES; weights are class-major (outputs × features). Numbers round-trip
 * exactly; -0 is written as +0 (as JSON writes it) and a model holding -0, NaN or ±Infinity is refused.
 */
export const BINARY_MODEL_MAGIC = Uint8Array.of(0x89, 0x46, 0x4c, 0x41, 0x49, 0x47, 0x4d, 0x0a);
export const BINARY_MODEL_VERSION = 1;
const PREAMBLE = 16;

/** Every array the format carries, in the order it stores them. */
const ARRAY_NAMES = ["weights", "bias", "standardization.mean", "standardization.scale", "correction"] as const;
type ArrayName = (typeof ARRAY_NAMES)[number];

const littleEndian = endianness() === "LE";

/**
 * True when `bytes` are meant as a binary model: they start with the magic's first byte, 0x89, which
 * UTF-8 JSON never starts with (otherwise they are read as JSON). The rest of the magic is checked
 * when they are decoded, so a damaged magic is named as such.
 */
export function isBinaryGlobalModel(bytes: Uint8Array): boolean {
  return bytes.length > 0 && bytes[0] === BINARY_MODEL_MAGIC[0];
}

function hasMagic(bytes: Uint8Array): boolean {
  if (bytes.length < BINARY_MODEL_MAGIC.length) return false;
  for (let i = 0; i < BINARY_MODEL_MAGIC.length; i++) if (bytes[i] !== BINARY_MODEL_MAGIC[i]) return false;
  return true;
}

/** The model's bytes in the binary format; the same model gives the same bytes in any process. */
export function encodeBinaryGlobalModel(model: GlobalModel): Uint8Array {
  const { rest, arrays } = splitArrays(model);
  const header = new TextEncoder().encode(canonicalJson({ arrays: arrays.map(([name, values]) => [name, values.length]), model: rest }));
  const start = align8(PREAMBLE + header.length);
  const total = start + 8 * arrays.reduce((sum, [, values]) => sum + values.length, 0);
  const out = new Uint8Array(total);
  out.set(BINARY_MODEL_MAGIC, 0);
  const view = new DataView(out.buffer);
  view.setUint32(8, BINARY_MODEL_VERSION, true);
  view.setUint32(12, header.length, true);
  out.set(header, PREAMBLE);
  let offset = start;
  for (const [name, values] of arrays) {
    writeFloat64s(out, offset, values, name);
    offset += 8 * values.length;
  }
  return out;
}

/**
 * The global model the binary bytes hold, with its arrays as JSON carries them (plain numbers); the
 * caller checks the model itself (parseGlobalModel). Refuses, saying what is wrong, bytes that are
 * cut short, carry bytes after the last array, declare lengths the model's shape does not have,
 * or hold an unknown version.
 */
export function decodeBinaryGlobalModel(bytes: Uint8Array, source: string): GlobalModel {
  const fail = (what: string): never => {
    throw flaiError(`${source} is not a hardhat-flai global model: ${what}.`);
  };
  if (!hasMagic(bytes)) fail(`it does not start with the binary model's magic bytes (89 46 4c 41 49 47 4d 0a, "\\x89FLAIGM\\n")`);
  if (bytes.length < PREAMBLE) fail(`it is cut short: ${bytes.length} bytes, less than the ${PREAMBLE}-byte preamble`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.getUint32(8, true);
  if (version !== BINARY_MODEL_VERSION) fail(`binary format version ${version} is not one this version reads (${BINARY_MODEL_VERSION})`);
  const headerLength = view.getUint32(12, true);
  if (headerLength > bytes.length - PREAMBLE)
    fail(`it is cut short: its header declares ${headerLength} bytes, but only ${bytes.length - PREAMBLE} follow the preamble`);
  const headerText = decodeUtf8(bytes.subarray(PREAMBLE, PREAMBLE + headerLength), `${source} (binary header)`);
  const header = parseJsonText(headerText, `${source} (binary header)`) as { arrays?: unknown; model?: unknown } | null;
  if (header === null || typeof header !== "object" || Array.isArray(header)) fail("its header is not a JSON object");
  const { arrays: declared, model, ...extra } = header!;
  if (Object.keys(extra).length > 0) fail(`its header has unknown key(s) ${Object.keys(extra).join(", ")}`);
  if (model === null || typeof model !== "object" || Array.isArray(model)) fail(`its header's "model" is not a JSON object`);
  const lengths = readDeclaredArrays(declared, fail);
  if (canonicalJson(header) !== headerText)
    fail("its header is not canonical JSON (sorted keys, no spaces), so its bytes are not the model's one encoding");
  const start = align8(PREAMBLE + headerLength);
  for (let i = PREAMBLE + headerLength; i < Math.min(start, bytes.length); i++) {
    if (bytes[i] !== 0) fail(`the padding after its header must be zero bytes (byte ${i} is ${bytes[i]})`);
  }
  const expected = start + 8 * [...lengths.values()].reduce((sum, n) => sum + n, 0);
  if (bytes.length < expected) fail(`it is cut short: its header declares arrays up to byte ${expected}, but it has ${bytes.length} bytes`);
  if (bytes.length > expected) fail(`it has ${bytes.length - expected} trailing byte(s) after its last array (byte ${expected})`);
  const values = new Map<ArrayName, number[]>();
  let offset = start;
  for (const [name, length] of lengths) {
    values.set(name, readFloat64s(bytes, offset, length, name, fail));
    offset += 8 * length;
  }
  return joinArrays(model as Record<string, unknown>, values, fail);
}

/** The model without its numeric arrays, and the arrays in format order. */
function splitArrays(model: GlobalModel): { rest: Record<string, unknown>; arrays: [ArrayName, ArrayLike<number>][] } {
  const { weights, bias, correction, standardization, ...rest } = model;
  const arrays: [ArrayName, ArrayLike<number>][] = [
    ["weights", typeof bias === "number" ? (weights as number[]) : (weights as number[][]).flat()],
    ["bias", typeof bias === "number" ? [bias] : bias],
  ];
  if (standardization !== null) {
    arrays.push(["standardization.mean", standardization.mean], ["standardization.scale", standardization.scale]);
  }
  if (correction !== undefined) arrays.push(["correction", correction]);
  return { rest: standardization === null ? { ...rest, standardization: null } : rest, arrays };
}

/** The model with its arrays put back, in the shapes JSON gives them (checked against the model's classes). */
function joinArrays(rest: Record<string, unknown>, values: Map<ArrayName, number[]>, fail: (what: string) => never): GlobalModel {
  for (const key of ["weights", "bias", "correction"])
    if (key in rest) fail(`its header's "model" carries "${key}", which belongs in the arrays`);
  const classes = Array.isArray(rest.classes) ? rest.classes : BINARY_CLASSES;
  const features = rest.features as number;
  let outputs = 0;
  try {
    outputs = outputsFor(classes.length);
  } catch (error) {
    fail((error as Error).message);
  }
  if (!Number.isInteger(features) || features < 1) fail(`"features" must be a whole number ≥ 1`);
  const flat = values.get("weights");
  const bias = values.get("bias");
  if (flat === undefined || bias === undefined) fail(`its arrays must include "weights" and "bias"`);
  if (bias!.length !== outputs) fail(`its "bias" array has ${bias!.length} value(s), but ${classes.length} classes need ${outputs}`);
  if (flat!.length !== outputs * features)
    fail(`its "weights" array has ${flat!.length} values, but ${outputs} output(s) × ${features} features need ${outputs * features}`);
  const weights: JsonWeights =
    outputs === 1 ? flat! : Array.from({ length: outputs }, (_, k) => flat!.slice(k * features, (k + 1) * features));
  const jsonBias: JsonBias = outputs === 1 ? bias![0]! : bias!;
  const mean = values.get("standardization.mean");
  const scale = values.get("standardization.scale");
  if ((mean === undefined) !== (scale === undefined))
    fail(`its arrays must hold both "standardization.mean" and "standardization.scale", or neither`);
  if (mean === undefined ? rest.standardization !== null : "standardization" in rest) {
    fail(`its header's "model" must have "standardization": null exactly when the arrays hold no standardization`);
  }
  const correction = values.get("correction");
  return {
    ...(rest as Omit<GlobalModel, "weights" | "bias" | "standardization">),
    weights,
    bias: jsonBias,
    standardization: mean === undefined ? null : { mean, scale: scale! },
    ...(correction !== undefined ? { correction } : {}),
  } as GlobalModel;
}

/** The header's [name, length] pairs: known names, in format order, each once, lengths whole. */
function readDeclaredArrays(declared: unknown, fail: (what: string) => never): Map<ArrayName, number> {
  if (!Array.isArray(declared)) fail(`its header's "arrays" must be a list of [name, length] pairs`);
  const lengths = new Map<ArrayName, number>();
  let last = -1;
  for (const entry of declared as unknown[]) {
    const [name, length] = Array.isArray(entry) && entry.length === 2 ? entry : [undefined, undefined];
    const order = ARRAY_NAMES.indexOf(name as ArrayName);
    if (order === -1)
      fail(`its header's "arrays" entry ${JSON.stringify(entry)} is not [name, length] with a name among ${ARRAY_NAMES.join(", ")}`);
    if (order <= last) fail(`its header's "arrays" must list ${ARRAY_NAMES.join(", ")} in that order, each at most once`);
    if (!(Number.isSafeInteger(length) && (length as number) >= 0))
      fail(`its header declares "${name}" with length ${JSON.stringify(length)}; lengths are whole numbers ≥ 0`);
    lengths.set(name as ArrayName, length as number);
    last = order;
  }
  return lengths;
}

function writeFloat64s(out: Uint8Array, offset: number, values: ArrayLike<number>, name: string): void {
  const n = values.length;
  if (littleEndian) {
    const target = new Float64Array(out.buffer, out.byteOffset + offset, n);
    for (let i = 0; i < n; i++) target[i] = finite(values[i]!, name, i);
    return;
  }
  const view = new DataView(out.buffer, out.byteOffset + offset, 8 * n);
  for (let i = 0; i < n; i++) view.setFloat64(8 * i, finite(values[i]!, name, i), true);
}

/** The value to write: finite (as JSON requires), and zero as +0 (JSON writes -0 as 0 too). */
function finite(v: number, name: string, i: number): number {
  if (v === 0) return 0;
  if (typeof v !== "number" || !Number.isFinite(v)) {
    throw flaiError(`Cannot write the global model's ${name}[${i}] = ${v} in the binary format: numbers must be finite.`);
  }
  return v;
}

function readFloat64s(bytes: Uint8Array, offset: number, n: number, name: string, fail: (what: string) => never): number[] {
  const source = float64View(bytes, offset, n);
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    const v = source[i]!;
    // v - v is 0 for every finite v, NaN for NaN and ±Infinity.
    if (v - v !== 0) fail(`its "${name}" array holds ${v} at index ${i}; numbers must be finite`);
    if (v === 0 && 1 / v < 0) fail(`its "${name}" array holds -0 at index ${i}; the format writes zero as +0`);
    out[i] = v;
  }
  return out;
}

/** The n float64s at `offset`: a view where the host is little-endian and they are 8-byte aligned in their buffer, else a copy. */
function float64View(bytes: Uint8Array, offset: number, n: number): Float64Array {
  const at = bytes.byteOffset + offset;
  if (littleEndian && at % 8 === 0) return new Float64Array(bytes.buffer, at, n);
  if (littleEndian) return new Float64Array(bytes.slice(offset, offset + 8 * n).buffer);
  const view = new DataView(bytes.buffer, at, 8 * n);
  return Float64Array.from({ length: n }, (_, i) => view.getFloat64(8 * i, true));
}

function align8(n: number): number {
  return Math.ceil(n / 8) * 8;
}
