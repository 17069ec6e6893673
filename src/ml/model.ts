import { shown } from "./shown.js";

import { flaiError } from "../errors.js";
import { argmaxClasses, accuracy as classAccuracy, logLoss as classLogLoss } from "./classification-metrics.js";
import { decodeUtf8, parseDataset, parseJsonText, validateFeatureCount, type Dataset } from "./dataset.js";
import { checkClasses, requireEveryClass } from "./labels.js";
import {
  LOGISTIC_DEFAULTS,
  predictLabels,
  predictProba,
  trainLogisticRegression,
  type LogisticResult,
  type Standardization,
} from "./logistic.js";
import { accuracy, logLoss } from "./metrics.js";
import {
  BINARY_CLASSES,
  outputsFor,
  weightsFromJson,
  weightsToJson,
  type ClassLabel,
  type JsonBias,
  type JsonWeights,
} from "./parameters.js";
import { predictClassProba } from "./predict.js";
import type { DataSchema, DatasetOptions } from "./schema.js";
import { readDataSchema, readSpecDataKeys } from "./spec-schema.js";
import { sha256Hex } from "../util/sha256.js";

export const MODEL_FORMAT = "flai-model/v1";
export const ALGORITHM = "logistic-regression";
// Issue 14 asks for federated rounds at D = 1e6 (bench/e2e/memory.ts); a spec beyond it is a typo more often than a model.
const MAX_FEATURES = 1_000_000;
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
  /** The CSV label column; absent: the one column named label, y or target. */
  label?: string;
  /** CSV columns that are not features (IDs, text). */
  ignore?: string[];
  /** "mean": fill missing feature values with the training data's column means (stored in the trained model). */
  impute?: "mean";
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
  /** How the CSV training file was read (absent for JSON data); prediction reads files the same way. */
  schema?: DataSchema;
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

const SPEC_KEYS = [
  "format",
  "algorithm",
  "features",
  "hyperparameters",
  "classes",
  "label",
  "ignore",
  "impute",
  "weights",
  "bias",
  "standardization",
];
// A trained model may be handed back as the next spec (warm start); its outputs are ignored.
const SPEC_IGNORED_KEYS = ["training", "datasetRoot", "modelRoot", "schema"];
const TRAINED_REQUIRED = [
  "format",
  "algorithm",
  "features",
  "hyperparameters",
  "weights",
  "bias",
  "standardization",
  "training",
  "datasetRoot",
  "modelRoot",
];
const TRAINED_KEYS = [...TRAINED_REQUIRED, "classes", "schema"];
const HYPERPARAMETER_KEYS = ["c", "maxIterations", "tolerance", "standardize"];
const KEY_HINTS: Record<string, string> = { C: "c", max_iter: "maxIterations", maxIter: "maxIterations", tol: "tolerance" };
const ROOT = /^0x[0-9a-fA-F]{64}$/;

export function parseModelSpec(bytes: Uint8Array, source: string): ModelSpec {
  const doc = readObject(bytes, source, "model spec");
  checkKeys(doc, [...SPEC_KEYS, ...SPEC_IGNORED_KEYS], source, "");
  const header = readHeader(doc, source);
  const hyperparameters = readHyperparameters(doc.hyperparameters, source, false);
  const spec: ModelSpec = { ...header, hyperparameters };
  if (doc.classes !== undefined) spec.classes = checkClasses(doc.classes, source);
  Object.assign(spec, readSpecDataKeys(doc, source));
  // A trained model handed back as the spec reads its data as it was read before.
  if (doc.schema !== undefined && doc.label === undefined && doc.ignore === undefined && doc.impute === undefined) {
    Object.assign(spec, schemaKeys(readDataSchema(doc.schema, header.features, source)));
  }
  const outputs = outputsFor((spec.classes ?? BINARY_CLASSES).length);
  if (doc.weights !== undefined) spec.weights = readWeights(doc.weights, outputs, header.features, source);
  if (doc.bias !== undefined) spec.bias = readBias(doc.bias, outputs, source);
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
  for (const key of TRAINED_REQUIRED) {
    if (!(key in doc)) throw flaiError(`${source} is missing "${key}"; it is not a complete ${MODEL_FORMAT} trained model.`);
  }
  const header = readHeader(doc, source);
  const standardization = doc.standardization === null ? null : readStandardization(doc.standardization, header.features, source);
  const classes = doc.classes === undefined ? undefined : checkClasses(doc.classes, source);
  const outputs = outputsFor((classes ?? BINARY_CLASSES).length);
  return {
    ...header,
    ...(classes !== undefined && { classes }),
    ...(doc.schema !== undefined && { schema: readDataSchema(doc.schema, header.features, source) }),
    weights: readWeights(doc.weights, outputs, header.features, source),
    bias: readBias(doc.bias, outputs, source),
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
  data: { classes?: readonly ClassLabel[]; schema?: DataSchema } = {},
): TrainedModel {
  const { classes, schema } = data;
  return {
    format: MODEL_FORMAT,
    algorithm: ALGORITHM,
    features: spec.features,
    ...(classes !== undefined && !sameList(classes, BINARY_CLASSES) && { classes: [...classes] }),
    ...(schema !== undefined && { schema: copySchema(schema) }),
    ...weightsToJson(fit.weights, fit.bias),
    standardization: fit.standardization === null ? null : { mean: [...fit.standardization.mean], scale: [...fit.standardization.scale] },
    hyperparameters: { ...spec.hyperparameters },
    training: { ...training },
    // Lower-cased so the same roots always give the same bytes, hence the same result hash.
    datasetRoot: readRoot(roots.datasetRoot, "the training roots", "datasetRoot").toLowerCase(),
    modelRoot: readRoot(roots.modelRoot, "the training roots", "modelRoot").toLowerCase(),
  };
}

/** How to read a training file for `spec`: its classes and CSV schema keys. */
export function datasetOptions(spec: ModelSpec): DatasetOptions {
  return {
    ...(spec.classes !== undefined && { classes: spec.classes }),
    ...(spec.label !== undefined && { label: spec.label }),
    ...(spec.ignore !== undefined && { ignore: spec.ignore }),
    ...(spec.impute !== undefined && { impute: spec.impute }),
  };
}

/** parseDataset with the spec's classes and schema: what a compute job trains on. */
export function parseTrainingData(bytes: Uint8Array, spec: ModelSpec, source: string): Dataset {
  return parseDataset(bytes, source, datasetOptions(spec));
}

/**
 * Trains per the spec and scores on the training data; deterministic for the same inputs. Parse
 * the data with parseTrainingData (a dataset parsed without the spec's schema keys is refused).
 * Every class must have a row: a centralized fit cannot learn a class it never sees.
 */
export function trainFromSpec(spec: ModelSpec, dataset: Dataset, roots: ModelRoots, datasetSource = "the dataset"): TrainedModel {
  const data = trainableData(spec, dataset, datasetSource);
  const hp = spec.hyperparameters;
  const fit = trainLogisticRegression(data, {
    c: hp.c,
    maxIterations: hp.maxIterations,
    tolerance: hp.tolerance,
    standardize: hp.standardize,
    ...(spec.standardization !== undefined && { standardization: spec.standardization }),
    ...initialParameters(spec),
  });
  return buildTrainedModel(
    spec,
    fit,
    { samples: data.rows, iterations: fit.iterations, converged: fit.converged, ...score(fit, data) },
    roots,
    {
      classes: data.classes,
      ...(data.schema !== undefined && { schema: data.schema }),
    },
  );
}

/**
 * The dataset as trainFromSpec trains on it (labels indexed by the spec's classes), or an error
 * saying why it cannot train: feature count, schema keys, a label outside the spec's classes, a
 * class without rows. Job submission calls it before anything is paid for.
 */
export function trainableData(spec: ModelSpec, dataset: Dataset, source: string): Dataset {
  validateFeatureCount(dataset, spec.features, source);
  checkParsedForSpec(spec, dataset, source);
  const data = spec.classes === undefined ? dataset : withClasses(dataset, spec.classes, source);
  requireEveryClass(data.labels, data.classes, source);
  return data;
}

/** Accuracy and log-loss on the training data; binary through metrics.ts, as before (same bytes). */
function score(fit: LogisticResult, data: Dataset): { accuracy: number; logLoss: number } {
  if (fit.outputs === 1) {
    const probabilities = predictProba(fit, data.features, data.rows, data.cols);
    return { accuracy: accuracy(data.labels, predictLabels(probabilities)), logLoss: logLoss(data.labels, probabilities) };
  }
  const p = predictClassProba(fit, data.features, data.rows, data.cols);
  return { accuracy: classAccuracy(data.labels, argmaxClasses(p)), logLoss: classLogLoss(data.labels, p) };
}

/** A dataset parsed without the spec's schema keys would train on other columns: refuse it by name. */
function checkParsedForSpec(spec: ModelSpec, dataset: Dataset, source: string): void {
  const schema = dataset.schema;
  if (schema === undefined) return; // JSON data: parseDataset refuses schema keys itself
  const differs =
    (spec.label !== undefined && spec.label !== schema.label) ||
    !sameList(spec.ignore ?? [], schema.ignore) ||
    (spec.impute === "mean") !== (schema.impute !== null);
  if (differs) {
    throw flaiError(
      `${source} was read with label ${shown(schema.label)}, ignore ${shown(schema.ignore)}, ` +
        `impute ${schema.impute === null ? "none" : "mean"}, but the model spec says otherwise. ` +
        `Parse it with parseTrainingData(bytes, spec, source).`,
    );
  }
}

/** The dataset with its labels re-indexed into the spec's class list (a label outside it is an error). */
function withClasses(ds: Dataset, classes: ClassLabel[], source: string): Dataset {
  if (sameList(ds.classes, classes)) return ds;
  // As indexLabels: a number read from CSV matches a class the spec spells as a string.
  const map = ds.classes.map((c) => (classes.includes(c) ? classes.indexOf(c) : classes.indexOf(String(c))));
  const labels = new Uint8Array(ds.rows);
  for (let r = 0; r < ds.rows; r++) {
    const k = map[ds.labels[r]!]!;
    if (k === -1) {
      const value = ds.classes[ds.labels[r]!];
      throw flaiError(
        `${source} row ${r} has label ${shown(value)}, which is not one of the model spec's classes ` +
          `${shown(classes)}. Add it to "classes", or fix that row.`,
      );
    }
    labels[r] = k;
  }
  return { ...ds, labels, classes: [...classes] };
}

/** The spec keys that read data as `schema` did (impute means are recomputed from the new data). */
function schemaKeys(schema: DataSchema): Pick<ModelSpec, "label" | "ignore" | "impute"> {
  return {
    label: schema.label,
    ...(schema.ignore.length > 0 && { ignore: [...schema.ignore] }),
    ...(schema.impute !== null && { impute: "mean" as const }),
  };
}

function sameList(a: readonly unknown[], b: readonly unknown[]): boolean {
  return a.length === b.length && a.every((v, k) => v === b[k]);
}

function copySchema(s: DataSchema): DataSchema {
  return {
    label: s.label,
    columns: [...s.columns],
    ignore: [...s.ignore],
    impute: s.impute === null ? null : { strategy: "mean", values: [...s.impute.values] },
  };
}

/** The spec's warm start as LogisticOptions (class-major arrays); nothing when it has none. */
function initialParameters(spec: ModelSpec): { initialWeights?: Float64Array; initialBias?: Float64Array } {
  if (spec.weights === undefined && spec.bias === undefined) return {};
  const outputs = outputsFor((spec.classes ?? BINARY_CLASSES).length);
  const zeros = (): JsonWeights =>
    outputs === 1
      ? new Array<number>(spec.features).fill(0)
      : Array.from({ length: outputs }, () => new Array<number>(spec.features).fill(0));
  const noBias: JsonBias = outputs === 1 ? 0 : new Array<number>(outputs).fill(0);
  const { weights, bias } = weightsFromJson(spec.weights ?? zeros(), spec.bias ?? noBias, spec.features, "the model spec");
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
  return sha256Hex(bytes);
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
  throw flaiError(
    `Cannot write ${path} as canonical JSON: it is ${kind}; only plain objects, arrays, strings, finite numbers, booleans and null are allowed.`,
  );
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
        : `${source}: unsupported "format" ${shown(doc.format)}; this version reads "${MODEL_FORMAT}".`,
    );
  }
  if (doc.algorithm !== ALGORITHM) {
    throw flaiError(
      doc.algorithm === undefined
        ? `${source} is missing "algorithm". Add "algorithm": "${ALGORITHM}".`
        : `${source}: unknown "algorithm" ${shown(doc.algorithm)}; supported: "${ALGORITHM}".`,
    );
  }
  const features = doc.features;
  if (typeof features !== "number" || !Number.isInteger(features) || features < 1 || features > MAX_FEATURES) {
    throw flaiError(
      `${source}: "features" must be an integer from 1 to ${MAX_FEATURES} (the number of feature columns), ` +
        `got ${shown(features) ?? "nothing"}.`,
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
  const bad = (key: string, v: unknown, rule: string) => flaiError(`${source}: "hyperparameters.${key}" must be ${rule}, got ${shown(v)}.`);
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
    throw flaiError(`${source}: "${path}" must be a finite number, got ${shown(value) ?? "nothing"}.`);
  }
  return value;
}

function readNumbers(value: unknown, length: number, source: string, path: string): number[] {
  if (!Array.isArray(value)) throw flaiError(`${source}: "${path}" must be an array of ${length} numbers.`);
  if (value.length !== length) {
    throw flaiError(`${source}: "${path}" has ${value.length} values but "features" is ${length}; give one per feature.`);
  }
  return value.map((v, i) => readFinite(v, source, `${path}[${i}]`));
}

/** D numbers for binary (outputs 1), K arrays of D numbers for K ≥ 3 classes. */
function readWeights(value: unknown, outputs: number, features: number, source: string): JsonWeights {
  if (outputs === 1) return readNumbers(value, features, source, "weights");
  if (!Array.isArray(value) || value.length !== outputs) {
    throw flaiError(
      `${source}: "weights" must be ${outputs} arrays (one per class of "classes") of ${features} numbers, ` +
        `got ${Array.isArray(value) ? `${value.length} entries` : (shown(value) ?? "nothing")}.`,
    );
  }
  return value.map((row, k) => readNumbers(row, features, source, `weights[${k}]`));
}

/** One number for binary, K numbers for K ≥ 3 classes. */
function readBias(value: unknown, outputs: number, source: string): JsonBias {
  if (outputs === 1) return readFinite(value, source, "bias");
  if (!Array.isArray(value) || value.length !== outputs) {
    throw flaiError(`${source}: "bias" must be ${outputs} numbers (one per class of "classes"), got ${shown(value) ?? "nothing"}.`);
  }
  return value.map((v, k) => readFinite(v, source, `bias[${k}]`));
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
      throw flaiError(`${source}: "training.${key}" must be an integer ≥ ${min}, got ${shown(v) ?? "nothing"}.`);
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
    throw flaiError(`${source}: "${key}" must be a 0G storage root, 0x followed by 64 hex digits, got ${shown(value) ?? "nothing"}.`);
  }
  return value;
}
