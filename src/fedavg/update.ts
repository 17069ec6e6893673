import { flaiError } from "../errors.js";
import { canonicalJson } from "../ml/model.js";
import { ByteReader, type Bytes } from "../util/bytes.js";

/** What a client sends (inside an envelope) after a round of local training. */
export interface ClientUpdate {
  /** Local model minus the round's global model: parameterVector layout [W..., b...], length outputs·(features + 1). */
  delta: Float64Array;
  sampleCount: number;
  /** On the client's own data, for reporting only (never trusted for aggregation). */
  metrics: { loss: number; accuracy: number };
  /** Hash of the global model the client trained from; ties the delta to a round's starting point. */
  baseModelHash: string;
}

export const UPDATE_FORMAT = "flai-update/v1";
const MAX_HEADER = 4096;
const HASH = /^0x[0-9a-f]{64}$/;
// Every platform Node supports is little-endian today, but a DataView fallback costs nothing.
const LITTLE_ENDIAN = new Uint8Array(new Float64Array([1]).buffer)[7] === 0x3f;

/**
 * Layout: uint32 LE header length | canonical-JSON header, space-padded so the body starts at a
 * multiple of 8 | delta as little-endian float64. The alignment lets decodeUpdate view the body
 * in place instead of copying up to 64 MiB.
 */
export function encodeUpdate(u: ClientUpdate): Uint8Array {
  checkFields(u, "encodeUpdate: the update");
  const bad = firstNonFinite(u.delta);
  if (bad !== -1) {
    throw flaiError(`encodeUpdate: the update's delta contains ${u.delta[bad]} at index ${bad}; local training diverged. Lower the learning rate or check the data.`);
  }
  const json = canonicalJson({
    format: UPDATE_FORMAT,
    dimension: u.delta.length,
    sampleCount: u.sampleCount,
    metrics: { loss: u.metrics.loss, accuracy: u.metrics.accuracy },
    baseModelHash: u.baseModelHash,
  });
  const text = new TextEncoder().encode(json);
  const headerLength = Math.ceil((4 + text.length) / 8) * 8 - 4;
  const out = new Uint8Array(4 + headerLength + u.delta.length * 8);
  const view = new DataView(out.buffer);
  view.setUint32(0, headerLength, true);
  out.set(text, 4);
  out.fill(0x20, 4 + text.length, 4 + headerLength);
  const body = 4 + headerLength;
  if (LITTLE_ENDIAN) out.set(new Uint8Array(u.delta.buffer, u.delta.byteOffset, u.delta.byteLength), body);
  else for (let i = 0; i < u.delta.length; i++) view.setFloat64(body + 8 * i, u.delta[i]!, true);
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
  if (h.format !== UPDATE_FORMAT) throw malformed(`its format is ${JSON.stringify(h.format)}, expected "${UPDATE_FORMAT}"`);
  const metrics = h.metrics as Record<string, unknown> | null | undefined;
  if (typeof metrics !== "object" || metrics === null) throw malformed(`its header has no "metrics" object`);
  const dimension = h.dimension;
  if (!(Number.isSafeInteger(dimension) && (dimension as number) >= 2)) {
    throw malformed(`its dimension ${JSON.stringify(dimension)} is not an integer ≥ 2 (at least one weight and the bias)`);
  }
  const bodyLength = input.length - 4 - headerLength;
  if (bodyLength !== (dimension as number) * 8) {
    throw malformed(`its header declares ${dimension} values but the body holds ${bodyLength} bytes, not ${(dimension as number) * 8}`);
  }

  const u: ClientUpdate = {
    delta: readFloats(input.pieces(4 + headerLength, input.length), bodyLength / 8, shared),
    sampleCount: h.sampleCount as number,
    metrics: { loss: metrics.loss as number, accuracy: metrics.accuracy as number },
    baseModelHash: h.baseModelHash as string,
  };
  checkFields(u, `The update from ${source}`);
  const bad = firstNonFinite(u.delta);
  if (bad !== -1) {
    throw flaiError(`The update from ${source} contains ${u.delta[bad]} at index ${bad}; every value must be finite. Reject this update.`);
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
}

function checkFields(u: ClientUpdate, what: string): void {
  if (!(Number.isSafeInteger(u.sampleCount) && u.sampleCount > 0)) {
    throw flaiError(`${what} has sampleCount ${JSON.stringify(u.sampleCount)}; it must be a positive integer (the client's training rows).`);
  }
  const { loss, accuracy } = u.metrics;
  if (!(typeof loss === "number" && Number.isFinite(loss) && loss >= 0)) {
    throw flaiError(`${what} has metrics.loss ${JSON.stringify(loss)}; it must be a finite number ≥ 0.`);
  }
  if (!(typeof accuracy === "number" && accuracy >= 0 && accuracy <= 1)) {
    throw flaiError(`${what} has metrics.accuracy ${JSON.stringify(accuracy)}; it must be a number in [0, 1].`);
  }
  if (typeof u.baseModelHash !== "string" || !HASH.test(u.baseModelHash)) {
    throw flaiError(`${what} has baseModelHash ${JSON.stringify(u.baseModelHash)}; it must be 0x + 64 lowercase hex digits (a model hash).`);
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
