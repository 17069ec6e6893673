import { createHash } from "node:crypto";

import { flaiError } from "../errors.js";
import { decodeUtf8, parseJsonText, validateFeatureCount, type Dataset } from "./dataset.js";
import {
  LOGISTIC_DEFAULTS,
  predictLabels,
  predictProba,
  trainLogisticRegression,
  type LogisticResult,
  type Standardization,
} from "./logistic.js";
import { accuracy, logLoss } from "./metrics.js";
import { weightsFromJson, weightsToJson, type ClassLabel, type JsonBias, type JsonWeights } from "./parameters.js";

export const MODEL_FORMAT = "flai-model/v1";
export const ALGORITHM = "logistic-regression";
const MAX_FEATURES = 100_000;
const MAX_ITERATIONS = 100_000;

export interface Hyperparameters {
  c: number;
  maxIterations: number;
  tolerance: number;
  standardize: boolean;
}

/** The job's input "model.json": what to train, and optionally where to start (warm start). */
export interface ModelSpec {
  format: typeof MODEL_FORMAT;
  algorithm: typeof ALGORITHM;
  features: number;
  hyperparameters: Hyperparameters;
  /** Label values in class-index order; absent means [0, 1]. */
  classes?: ClassLabel[];
  /**
   * Initial weights, in the standardized space when standardization is on: D numbers for binary,
   * K rows of D for K ≥ 3 classes (see parameters.ts, weightsFromJson).
   */
  weights?: JsonWeights;
  /** One number for binary, K for K ≥ 3 classes. */
  bias?: JsonBias;
  /** Fixed standardization to train with (a global model's), instead of one computed from the data. */
  standardization?: Standardization;
}

export interface TrainingSummary {
  samples: number;
  iterations: number;
  converged: boolean;
  /** On the training data. */
  accuracy: number;
  logLoss: number;
}

export interface ModelRoots {
  datasetRoot: string;
  modelRoot: string;
}

/** The job's output, trained_model.json. */
export interface TrainedModel {
  format: typeof MODEL_FORMAT;
  algorithm: typeof ALGORITHM;
  features: number;
  /** Label values in class-index order; absent (not null) for [0, 1], so binary bytes are as before. */
  classes?: ClassLabel[];
  /** D numbers for binary, K rows of D for K ≥ 3 classes. */
  weights: JsonWeights;
  /** One number for binary, K for K ≥ 3 classes. */
  bias: JsonBias;
  standardization: Standardization | null;
  hyperparameters: Hyperparameters;
  training: TrainingSummary;
  datasetRoot: string;
  modelRoot: string;
}

const SPEC_KEYS = ["format", "algorithm", "features", "hyperparameters", "weights", "bias", "standardization"];
// A trained model may be handed back as the next spec (warm start); its outputs are ignored.
const SPEC_IGNORED_KEYS = ["training", "datasetRoot", "modelRoot"];
const TRAINED_KEYS = [...SPEC_KEYS, ...SPEC_IGNORED_KEYS];
const HYPERPARAMETER_KEYS = ["c", "maxIterations", "tolerance", "standardize"];
const KEY_HINTS: Record<string, string> = { C: "c", max_iter: "maxIterations", maxIter: "maxIterations", tol: "tolerance" };
const ROOT = /^0x[0-9a-fA-F]{64}$/;

export function parseModelSpec(bytes: Uint8Array, source: string): ModelSpec {
  const doc = readObject(bytes, source, "model spec");
  checkKeys(doc, [...SPEC_KEYS, ...SPEC_IGNORED_KEYS], source, "");
  const header = readHeader(doc, source);
  const hyperparameters = readHyperparameters(doc.hyperparameters, source, false);
  const spec: ModelSpec = { ...header, hyperparameters };
  if (doc.weights !== undefined) spec.weights = readNumbers(doc.weights, header.features, source, "weights");
  if (doc.bias !== undefined) spec.bias = readFinite(doc.bias, source, "bias");
  if (doc.standardization !== undefined && doc.standardization !== null) {
    spec.standardization = readStandardization(doc.standardization, header.features, source);
    if (!hyperparameters.standardize) {
      throw flaiError(
        `${source}: "standardization" is given but "hyperparameters.standardize" is false. ` +
          `Set standardize to true to train with it, or remove "standardization".`,
      );
    }
  }
  return spec;
}

export function parseTrainedModel(bytes: Uint8Array, source: string): TrainedModel {
  const doc = readObject(bytes, source, "trained model");
  checkKeys(doc, TRAINED_KEYS, source, "");
  for (const key of TRAINED_KEYS) {
    if (!(key in doc)) throw flaiError(`${source} is missing "${key}"; it is not a complete ${MODEL_FORMAT} trained model.`);
  }
  const header = readHeader(doc, source);
  const standardization =
    doc.standardization === null ? null : readStandardization(doc.standardization, header.features, source);
  return {
    ...header,
    weights: readNumbers(doc.weights, header.features, source, "weights"),
    bias: readFinite(doc.bias, source, "bias"),
    standardization,
    hyperparameters: readHyperparameters(doc.hyperparameters, source, true),
    training: readTraining(doc.training, source),
    datasetRoot: readRoot(doc.datasetRoot, source, "datasetRoot"),
    modelRoot: readRoot(doc.modelRoot, source, "modelRoot"),
  };
}

export function buildTrainedModel(
  spec: ModelSpec,
  fit: LogisticResult,
  training: TrainingSummary,
  roots: ModelRoots,
): TrainedModel {
  return {
    format: MODEL_FORMAT,
    algorithm: ALGORITHM,
    features: spec.features,
    ...weightsToJson(fit.weights, fit.bias),
    standardization:
      fit.standardization === null ? null : { mean: [...fit.standardization.mean], scale: [...fit.standardization.scale] },
    hyperparameters: { ...spec.hyperparameters },
    training: { ...training },
    // Lower-cased so the same roots always give the same bytes, hence the same result hash.
    datasetRoot: readRoot(roots.datasetRoot, "the training roots", "datasetRoot").toLowerCase(),
    modelRoot: readRoot(roots.modelRoot, "the training roots", "modelRoot").toLowerCase(),
  };
}

/** Trains per the spec and scores on the training data; deterministic for the same inputs. */
export function trainFromSpec(
  spec: ModelSpec,
  dataset: Dataset,
  roots: ModelRoots,
  datasetSource = "the dataset",
): TrainedModel {
  validateFeatureCount(dataset, spec.features, datasetSource);
  const hp = spec.hyperparameters;
  const fit = trainLogisticRegression(dataset, {
    c: hp.c,
    maxIterations: hp.maxIterations,
    tolerance: hp.tolerance,
    standardize: hp.standardize,
    ...(spec.standardization !== undefined && { standardization: spec.standardization }),
    ...initialParameters(spec),
  });
  const probabilities = predictProba(fit, dataset.features, dataset.rows, dataset.cols);
  return buildTrainedModel(
    spec,
    fit,
    {
      samples: dataset.rows,
      iterations: fit.iterations,
      converged: fit.converged,
      accuracy: accuracy(dataset.labels, predictLabels(probabilities)),
      logLoss: logLoss(dataset.labels, probabilities),
    },
    roots,
  );
}

/** The spec's warm start as LogisticOptions (class-major arrays); nothing when it has none. */
function initialParameters(spec: ModelSpec): { initialWeights?: Float64Array; initialBias?: Float64Array } {
  if (spec.weights === undefined && spec.bias === undefined) return {};
  const zeros = new Array<number>(spec.features).fill(0);
  const { weights, bias } = weightsFromJson(spec.weights ?? zeros, spec.bias ?? 0, spec.features, "the model spec");
  return { ...(spec.weights !== undefined && { initialWeights: weights }), ...(spec.bias !== undefined && { initialBias: bias }) };
}

/**
 * JSON with object keys sorted (UTF-16 order) at every level and no whitespace; numbers in
 * JavaScript's shortest round-trip form (as RFC 8785). Refuses what JSON cannot carry exactly.
 */
export function canonicalJson(value: unknown): string {
  return canonical(value, "$");
}

/** The exact bytes of trained_model.json: canonical JSON plus one trailing newline. Hash these. */
export function modelBytes(model: TrainedModel): Uint8Array {
  return new TextEncoder().encode(canonicalJson(model) + "\n");
}

/** `0x` + SHA-256 hex of the bytes (of modelBytes for a trained model). */
export function resultHash(bytes: Uint8Array): string {
  return "0x" + createHash("sha256").update(bytes).digest("hex");
}

function canonical(value: unknown, path: string): string {
  if (value === null || typeof value === "boolean" || typeof value === "string") return JSON.stringify(value);
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw flaiError(`Cannot write ${path} = ${value} as JSON: numbers must be finite.`);
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) return `[${value.map((v, i) => canonical(v, `${path}[${i}]`)).join(",")}]`;
  if (typeof value === "object" && Object.getPrototypeOf(value) === Object.prototype) {
    const obj = value as Record<string, unknown>;
    const keys = Object.keys(obj).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonical(obj[k], `${path}.${k}`)}`).join(",")}}`;
  }
  const kind = value === undefined ? "undefined" : ArrayBuffer.isView(value) ? "a typed array (use Array.from)" : typeof value;
  throw flaiError(`Cannot write ${path} as canonical JSON: it is ${kind}; only plain objects, arrays, strings, finite numbers, booleans and null are allowed.`);
}

// ---------------------------------------------------------------- validation

function readObject(bytes: Uint8Array, source: string, what: string): Record<string, unknown> {
  const doc = parseJsonText(decodeUtf8(bytes, source), source);
  if (typeof doc !== "object" || doc === null || Array.isArray(doc)) {
    throw flaiError(`${source} must hold a JSON object (a ${MODEL_FORMAT} ${what}).`);
  }
  return doc as Record<string, unknown>;
}

function checkKeys(obj: Record<string, unknown>, allowed: string[], source: string, prefix: string): void {
  for (const key of Object.keys(obj)) {
    if (allowed.includes(key)) continue;
    const hint = KEY_HINTS[key] ?? allowed.find((a) => a.toLowerCase() === key.toLowerCase());
    throw flaiError(
      `${source}: unknown key "${prefix}${key}".` +
        (hint !== undefined ? ` Did you mean "${prefix}${hint}"?` : ` Allowed keys: ${allowed.join(", ")}.`),
    );
  }
}

function readHeader(doc: Record<string, unknown>, source: string): Pick<ModelSpec, "format" | "algorithm" | "features"> {
  if (doc.format !== MODEL_FORMAT) {
    throw flaiError(
      doc.format === undefined
        ? `${source} is missing "format". Add "format": "${MODEL_FORMAT}".`
        : `${source}: unsupported "format" ${JSON.stringify(doc.format)}; this version reads "${MODEL_FORMAT}".`,
    );
  }
  if (doc.algorithm !== ALGORITHM) {
    throw flaiError(
      doc.algorithm === undefined
        ? `${source} is missing "algorithm". Add "algorithm": "${ALGORITHM}".`
        : `${source}: unknown "algorithm" ${JSON.stringify(doc.algorithm)}; supported: "${ALGORITHM}".`,
    );
  }
  const features = doc.features;
  if (typeof features !== "number" || !Number.isInteger(features) || features < 1 || features > MAX_FEATURES) {
    throw flaiError(
      `${source}: "features" must be an integer from 1 to ${MAX_FEATURES} (the number of feature columns), ` +
        `got ${JSON.stringify(features) ?? "nothing"}.`,
    );
  }
  return { format: MODEL_FORMAT, algorithm: ALGORITHM, features };
}

function readHyperparameters(value: unknown, source: string, requireAll: boolean): Hyperparameters {
  if (value === undefined && !requireAll) return { ...LOGISTIC_DEFAULTS };
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw flaiError(`${source}: "hyperparameters" must be an object like ${JSON.stringify(LOGISTIC_DEFAULTS)}.`);
  }
  const hp = value as Record<string, unknown>;
  checkKeys(hp, HYPERPARAMETER_KEYS, source, "hyperparameters.");
  if (requireAll) {
    for (const key of HYPERPARAMETER_KEYS) {
      if (!(key in hp)) throw flaiError(`${source} is missing "hyperparameters.${key}".`);
    }
  }
  const { c = LOGISTIC_DEFAULTS.c, maxIterations = LOGISTIC_DEFAULTS.maxIterations } = hp;
  const { tolerance = LOGISTIC_DEFAULTS.tolerance, standardize = LOGISTIC_DEFAULTS.standardize } = hp;
  const bad = (key: string, v: unknown, rule: string) =>
    flaiError(`${source}: "hyperparameters.${key}" must be ${rule}, got ${JSON.stringify(v)}.`);
  if (typeof c !== "number" || !Number.isFinite(c) || c <= 0) {
    throw bad("c", c, "a number > 0 (inverse regularization strength, like sklearn's C; default 1)");
  }
  if (typeof maxIterations !== "number" || !Number.isInteger(maxIterations) || maxIterations < 0 || maxIterations > MAX_ITERATIONS) {
    throw bad("maxIterations", maxIterations, `an integer from 0 to ${MAX_ITERATIONS} (default 100)`);
  }
  if (typeof tolerance !== "number" || !Number.isFinite(tolerance) || tolerance < 0) {
    throw bad("tolerance", tolerance, "a number ≥ 0 (gradient tolerance, like sklearn's tol; default 1e-4)");
  }
  if (typeof standardize !== "boolean") throw bad("standardize", standardize, "true or false");
  return { c, maxIterations, tolerance, standardize };
}

function readFinite(value: unknown, source: string, path: string): number {
  if (typeof value !== "number" || !Number.isFinite(value)) {
    throw flaiError(`${source}: "${path}" must be a finite number, got ${JSON.stringify(value) ?? "nothing"}.`);
  }
  return value;
}

function readNumbers(value: unknown, length: number, source: string, path: string): number[] {
  if (!Array.isArray(value)) throw flaiError(`${source}: "${path}" must be an array of ${length} numbers.`);
  if (value.length !== length) {
    throw flaiError(
      `${source}: "${path}" has ${value.length} values but "features" is ${length}; give one per feature.`,
    );
  }
  return value.map((v, i) => readFinite(v, source, `${path}[${i}]`));
}

function readStandardization(value: unknown, features: number, source: string): Standardization {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw flaiError(`${source}: "standardization" must be null or {"mean": [...], "scale": [...]}.`);
  }
  const st = value as Record<string, unknown>;
  checkKeys(st, ["mean", "scale"], source, "standardization.");
  const mean = readNumbers(st.mean, features, source, "standardization.mean");
  const scale = readNumbers(st.scale, features, source, "standardization.scale");
  const zero = scale.findIndex((s) => !(s > 0));
  if (zero !== -1) {
    throw flaiError(`${source}: "standardization.scale[${zero}]" is ${scale[zero]}; scales must be > 0 (constant features use 1).`);
  }
  return { mean, scale };
}

function readTraining(value: unknown, source: string): TrainingSummary {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw flaiError(`${source}: "training" must be an object with samples, iterations, converged, accuracy, logLoss.`);
  }
  const t = value as Record<string, unknown>;
  const keys = ["samples", "iterations", "converged", "accuracy", "logLoss"];
  checkKeys(t, keys, source, "training.");
  const count = (key: string, min: number) => {
    const v = t[key];
    if (typeof v !== "number" || !Number.isInteger(v) || v < min) {
      throw flaiError(`${source}: "training.${key}" must be an integer ≥ ${min}, got ${JSON.stringify(v) ?? "nothing"}.`);
    }
    return v;
  };
  const samples = count("samples", 1);
  const iterations = count("iterations", 0);
  if (typeof t.converged !== "boolean") throw flaiError(`${source}: "training.converged" must be true or false.`);
  const acc = readFinite(t.accuracy, source, "training.accuracy");
  if (acc < 0 || acc > 1) throw flaiError(`${source}: "training.accuracy" must be between 0 and 1, got ${acc}.`);
  const loss = readFinite(t.logLoss, source, "training.logLoss");
  if (loss < 0) throw flaiError(`${source}: "training.logLoss" must be ≥ 0, got ${loss}.`);
  return { samples, iterations, converged: t.converged, accuracy: acc, logLoss: loss };
}

function readRoot(value: unknown, source: string, key: string): string {
  if (typeof value !== "string" || !ROOT.test(value)) {
    throw flaiError(
      `${source}: "${key}" must be a 0G storage root, 0x followed by 64 hex digits, got ${JSON.stringify(value) ?? "nothing"}.`,
    );
  }
  return value;
}
