import { flaiError } from "../errors.js";
import { canonicalJson } from "../ml/model.js";
import { ByteReader, concatBytes, type Bytes } from "../util/bytes.js";

/** What a client sends (inside an envelope) after a round of local training. */
export interface ClientUpdate {
  /** Local model minus the round's global model: parameterVector layout [W..., b...], length outputs·(features + 1). */
  delta: Float64Array;
  numExamples: number;
  /** On the client's own data, for reporting only (never trusted for aggregation). */
  metrics: { loss: number; accuracy: number };
  /** Hash of the global model the client trained from; ties the delta to a round's starting point. */
  baseModelHash: string;
  /**
   * Drift correction only (the task's federated.local.driftCorrection): ∇F_k at the round's global
   * model, same layout and length as the delta. Untrusted: the enclave clips it before averaging.
   */
  gradient?: Float64Array;
}

/** An update without a gradient: the format every task without drift correction has always used. */
export const UPDATE_FORMAT = "flai-update/v1";
/** An update with a gradient block after the delta (drift-corrected tasks). */
export const UPDATE_FORMAT_WITH_GRADIENT = "flai-update/v2";
const MAX_HEADER = 4096;
/** No update holds more float64 values than a 2^53-byte body could. */
const MAX_VALUES = Math.floor(Number.MAX_SAFE_INTEGER / 8);
const HASH = /^0x[0-9a-f]{64}$/;
// Every platform Node supports is little-endian today, but a DataView fallback costs nothing.
const LITTLE_ENDIAN = new Uint8Array(new Float64Array([1]).buffer)[7] === 0x3f;

/**
 * Layout: uint32 LE header length | canonical-JSON header, space-padded so the body starts at a
 * multiple of 8 | delta as little-endian float64 | (v2 only) the gradient, likewise. The alignment
 * lets decodeUpdate view the body in place instead of copying up to 64 MiB. An update without a
 * gradient is written as v1, byte for byte what it was before gradients existed.
 */
export function encodeUpdate(u: ClientUpdate): Uint8Array {
  return concatBytes(encodeUpdateParts(u));
}

/**
 * encodeUpdate's bytes as parts (see `Bytes`): the header, then the delta and the gradient as views
 * of the update's own arrays (copies on a big-endian host). What sealUpdate reads: a client seals
 * its update without first copying it into one plaintext (16 MB at 1e6 features with a gradient).
 * The views alias `u`: do not change its arrays until the parts are used.
 */
export function encodeUpdateParts(u: ClientUpdate): Uint8Array[] {
  checkFields(u, "encodeUpdate: the update");
  const bad = firstNonFinite(u.delta);
  if (bad !== -1) {
    throw flaiError(
      `encodeUpdate: the update's delta contains ${u.delta[bad]} at index ${bad}; local training diverged. Lower the learning rate or check the data.`,
    );
  }
  const gradient = u.gradient;
  const badGradient = gradient === undefined ? -1 : firstNonFinite(gradient);
  if (badGradient !== -1) {
    throw flaiError(
      `encodeUpdate: the update's gradient contains ${gradient![badGradient]} at index ${badGradient}; every value must be finite. Check the data.`,
    );
  }
  const json = canonicalJson({
    format: gradient === undefined ? UPDATE_FORMAT : UPDATE_FORMAT_WITH_GRADIENT,
    dimension: u.delta.length,
    ...(gradient === undefined ? {} : { gradientDimension: gradient.length }),
    numExamples: u.numExamples,
    metrics: { loss: u.metrics.loss, accuracy: u.metrics.accuracy },
    baseModelHash: u.baseModelHash,
  });
  const text = new TextEncoder().encode(json);
  const headerLength = Math.ceil((4 + text.length) / 8) * 8 - 4;
  const header = new Uint8Array(4 + headerLength);
  new DataView(header.buffer).setUint32(0, headerLength, true);
  header.set(text, 4);
  header.fill(0x20, 4 + text.length);
  return gradient === undefined ? [header, floatBytes(u.delta)] : [header, floatBytes(u.delta), floatBytes(gradient)];
}

/** The values as little-endian float64 bytes: a view of `values` on little-endian hosts. */
function floatBytes(values: Float64Array): Uint8Array {
  if (LITTLE_ENDIAN) return new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
  const out = new Uint8Array(values.byteLength);
  const view = new DataView(out.buffer);
  for (let i = 0; i < values.length; i++) view.setFloat64(8 * i, values[i]!, true);
  return out;
}

export interface DecodeOptions {
  /**
   * Put the delta in a SharedArrayBuffer, which is what lets aggregate() share a large FedAvg sum
   * with worker threads; decoding is the one copy the delta needs anyway.
   */
  shared?: boolean;
}

/**
 * Parses and validates an update (whole or as parts, e.g. what openUpdateParts returns); `source`
 * names its sender in errors (e.g. the client address). Unless `shared`, the returned delta views
 * `bytes` when it lies 8-byte aligned in one part (no copy), so do not reuse `bytes`.
 */
export function decodeUpdate(bytes: Bytes, source: string, { shared = false }: DecodeOptions = {}): ClientUpdate {
  const malformed = (why: string) =>
    flaiError(`The update from ${source} is malformed: ${why}. The client must send the bytes encodeUpdate produces.`);
  const input = new ByteReader(bytes);
  if (input.length < 4) throw malformed(`it is only ${input.length} bytes`);
  const first = input.slice(0, 4);
  const headerLength = new DataView(first.buffer, first.byteOffset, 4).getUint32(0, true);
  if (headerLength > MAX_HEADER || (4 + headerLength) % 8 !== 0 || 4 + headerLength > input.length) {
    throw malformed(`its header length ${headerLength} is invalid for a ${input.length}-byte update`);
  }
  let doc: unknown;
  try {
    doc = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(input.slice(4, 4 + headerLength)));
  } catch {
    throw malformed("its header is not valid UTF-8 JSON");
  }
  if (typeof doc !== "object" || doc === null || Array.isArray(doc)) throw malformed("its header is not a JSON object");
  const h = doc as Record<string, unknown>;
  if (h.format !== UPDATE_FORMAT && h.format !== UPDATE_FORMAT_WITH_GRADIENT) {
    throw malformed(`its format is ${JSON.stringify(h.format)}, expected "${UPDATE_FORMAT}" or "${UPDATE_FORMAT_WITH_GRADIENT}"`);
  }
  const metrics = h.metrics as Record<string, unknown> | null | undefined;
  if (typeof metrics !== "object" || metrics === null) throw malformed(`its header has no "metrics" object`);
  const dimension = h.dimension;
  if (!(Number.isSafeInteger(dimension) && (dimension as number) >= 2)) {
    throw malformed(`its dimension ${JSON.stringify(dimension)} is not an integer ≥ 2 (at least one weight and the bias)`);
  }
  const withGradient = h.format === UPDATE_FORMAT_WITH_GRADIENT;
  const gradientDimension = withGradient ? h.gradientDimension : 0;
  if (
    withGradient &&
    !(Number.isSafeInteger(gradientDimension) && (gradientDimension as number) >= 1 && (gradientDimension as number) <= MAX_VALUES)
  ) {
    throw malformed(`its gradientDimension ${JSON.stringify(h.gradientDimension)} is not a whole number ≥ 1`);
  }
  const values = (dimension as number) + (gradientDimension as number);
  const bodyLength = input.length - 4 - headerLength;
  if (bodyLength !== values * 8) {
    throw malformed(`its header declares ${values} values but the body holds ${bodyLength} bytes, not ${values * 8}`);
  }

  const body = 4 + headerLength;
  const deltaEnd = body + (dimension as number) * 8;
  const u: ClientUpdate = {
    delta: readFloats(input.pieces(body, deltaEnd), dimension as number, shared),
    numExamples: h.numExamples as number,
    metrics: { loss: metrics.loss as number, accuracy: metrics.accuracy as number },
    baseModelHash: h.baseModelHash as string,
  };
  // The gradient is only averaged after clipping, never shared with workers: a plain copy is enough.
  if (withGradient) u.gradient = readFloats(input.pieces(deltaEnd, input.length), gradientDimension as number, false);
  checkFields(u, `The update from ${source}`);
  const bad = firstNonFinite(u.delta);
  if (bad !== -1) {
    throw flaiError(`The update from ${source} contains ${u.delta[bad]} at index ${bad}; every value must be finite. Reject this update.`);
  }
  const badGradient = u.gradient === undefined ? -1 : firstNonFinite(u.gradient);
  if (badGradient !== -1) {
    throw flaiError(
      `The update from ${source} has a gradient containing ${u.gradient![badGradient]} at index ${badGradient}; every value must be finite. Reject this update.`,
    );
  }
  return u;
}

/**
 * Throws unless the delta fits the model: `expectedDimension` = outputs·(features + 1) values
 * (parameterVector: the weights, then one bias per output; outputs is 1 for two classes).
 */
export function validateUpdate(u: ClientUpdate, expectedDimension: number, source: string, outputs = 1): void {
  if (u.delta.length !== expectedDimension) {
    const features = expectedDimension / outputs - 1;
    const shape = outputs === 1 ? `${features} features + bias` : `${outputs} classes × (${features} features + bias)`;
    throw flaiError(
      `The update from ${source} has ${u.delta.length} values, but the model has ${expectedDimension} (${shape}). ` +
        `The client trained a different model spec.`,
    );
  }
  if (u.gradient !== undefined && u.gradient.length !== expectedDimension) {
    throw flaiError(
      `The update from ${source} has a gradient of ${u.gradient.length} values, but the model has ${expectedDimension} parameters ` +
        `(the gradient has the delta's layout). The client computed it for a different model.`,
    );
  }
}

function checkFields(u: ClientUpdate, what: string): void {
  if (!(Number.isSafeInteger(u.numExamples) && u.numExamples > 0)) {
    throw flaiError(
      `${what} has numExamples ${JSON.stringify(u.numExamples)}; it must be a positive integer (the client's training rows).`,
    );
  }
  const { loss, accuracy } = u.metrics;
  if (!(typeof loss === "number" && Number.isFinite(loss) && loss >= 0)) {
    throw flaiError(`${what} has metrics.loss ${JSON.stringify(loss)}; it must be a finite number ≥ 0.`);
  }
  if (!(typeof accuracy === "number" && accuracy >= 0 && accuracy <= 1)) {
    throw flaiError(`${what} has metrics.accuracy ${JSON.stringify(accuracy)}; it must be a number in [0, 1].`);
  }
  if (typeof u.baseModelHash !== "string" || !HASH.test(u.baseModelHash)) {
    throw flaiError(
      `${what} has baseModelHash ${JSON.stringify(u.baseModelHash)}; it must be 0x + 64 lowercase hex digits (a model hash).`,
    );
  }
}

function readFloats(body: Uint8Array[], n: number, shared: boolean): Float64Array {
  const only = body.length === 1 ? body[0]! : undefined;
  if (LITTLE_ENDIAN && !shared && only !== undefined && only.byteOffset % 8 === 0) {
    return new Float64Array(only.buffer, only.byteOffset, n);
  }
  const out = new Float64Array(shared ? new SharedArrayBuffer(n * 8) : new ArrayBuffer(n * 8));
  const bytes = new Uint8Array(out.buffer);
  let at = 0;
  for (const piece of body) {
    bytes.set(piece, at);
    at += piece.length;
  }
  if (!LITTLE_ENDIAN) {
    const view = new DataView(out.buffer);
    for (let i = 0; i < n; i++) out[i] = view.getFloat64(8 * i, true);
  }
  return out;
}

/** Index of the first NaN or ±Infinity, or -1. x − x is 0 for finite x and NaN otherwise. */
function firstNonFinite(a: Float64Array): number {
  for (let i = 0; i < a.length; i++) {
    const v = a[i]!;
    if (v - v !== 0) return i;
  }
  return -1;
}
