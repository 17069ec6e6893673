import { randomBytes } from "node:crypto";

import { flaiError } from "../errors.js";
import { decodeUtf8, parseJsonText } from "../ml/dataset.js";
import type { LinearModel, Standardization } from "../ml/logistic.js";
import { canonicalJson } from "../ml/model.js";
import type { DataSchema } from "../ml/schema.js";
import { readDataSchema } from "../ml/spec-schema.js";
import {
  BINARY_CLASSES,
  outputsFor,
  weightsFromJson,
  type ClassLabel,
  type JsonBias,
  type JsonWeights,
  type LinearParameters,
} from "../ml/parameters.js";

import { decodeBinaryGlobalModel, encodeBinaryGlobalModel, isBinaryGlobalModel } from "./global-model-binary.js";
import { checkDriftCorrection, driftCorrectionAllowed, type DriftCorrection } from "./drift-correction.js";
import { checkRules, resolveRules, type RoundRules } from "./round-rules.js";
import { STRATEGIES, type StrategyConfig } from "./strategies.js";

export const GLOBAL_MODEL_FORMAT = "flai-global-model/v1";

/** How a task's global models are encoded: canonical JSON, or the binary format (global-model-binary.ts). */
export type ModelFormat = "json" | "binary";
export const MODEL_FORMATS: readonly ModelFormat[] = ["json", "binary"];

/**
 * A new task's format when its creator names none: JSON (readable) below this many parameters,
 * binary from it on, where canonical JSON's number printing and parsing dominate a round (README,
 * "Binary global models").
 */
export const BINARY_MODEL_FROM_PARAMETERS = 10_000;

export function defaultModelFormat(parameters: number): ModelFormat {
  return parameters >= BINARY_MODEL_FROM_PARAMETERS ? "binary" : "json";
}

/** What every party of a federated task follows; fixed in the initial global model, so committed on-chain. */
export interface FederatedConfig {
  strategy: StrategyConfig;
  /**
   * Clients' local training: L-BFGS iterations from the global weights per round, the federation's
   * L2 strength C (each client trains with C·N/n_k, local-training.ts), FedProx mu, and the total
   * num_examples N the creator expects (used in round 1 only; later rounds use the last accepted total),
   * and the drift correction (drift-correction.ts; absent = off, as in every model from before it).
   */
  local: { maxIterations: number; c: number; mu: number; expectedNumExamples?: number; driftCorrection?: DriftCorrection };
  /** 0G root of the held-out dataset the enclave evaluates every new global model on. */
  evaluationRoot: string;
  /**
   * What the enclave enforces on every round (weight cap, minimum accepted updates, update norm
   * bound, reward rule). createTask always sets them; a model without them gets resolveRules' defaults.
   */
  rules?: RoundRules;
  /**
   * 32 random bytes (hex) drawn at task creation, so no two tasks share a model hash even with the
   * same inputs on a restarted chain: the enclave's one-result-per-round record is keyed by it.
   */
  nonce?: string;
  /**
   * "binary": every global model of the task is in the binary format, the enclave's included (fixed
   * by the initial model, so committed on-chain). Absent for JSON tasks, so their bytes stay as they were.
   */
  modelFormat?: ModelFormat;
  /**
   * true: a private task (issue 17), every model of it stored sealed with the task key. Inside the
   * hashed model, so a host that holds a plaintext copy cannot hand it to the enclave as a public task's
   * and get the next model out in the clear. Absent for public tasks, so their bytes stay as they were.
   */
  sealed?: true;
}

export interface GlobalMetrics {
  accuracy: number;
  logLoss: number;
  accepted: number;
  rejected: number;
  /** The accepted updates' num_examples as the clients declared them, summed (uncapped). */
  totalNumExamples: number;
  /**
   * N for the next round's clients: the accepted updates' num_examples as capped by maxClientShare
   * (the weights a weighted mean uses), summed, so at most totalNumExamples. Absent in models from
   * before it was added.
   */
  numExamples?: number;
  /** Central DP of this round, when noise was added. */
  dp: DpMetrics | null;
  /** What the rules guaranteed this round: accepted updates vs the minimum (DP is in `dp`). */
  minAccepted?: number;
}

/** A round's central DP, as the RDP accountant states it (dp-accountant.ts). */
export interface DpMetrics {
  noiseMultiplier: number;
  clippingNorm: number;
  /** L2 sensitivity of the noised aggregate to one client (2·clippingNorm/n for the uniform mean of n). */
  sensitivity: number;
  /** Std of the noise on every coordinate: noiseMultiplier × sensitivity. */
  noiseStd: number;
  /** ε of this round alone. */
  epsilon: number;
  /** ε of rounds 1..this one of the task, composed (RDP adds up over rounds). */
  epsilonTotal: number;
  delta: number;
  accountant: "rdp";
}

/** The global model after `round` rounds (0 = the initial one), canonical JSON on disk and in storage. */
export interface GlobalModel {
  format: typeof GLOBAL_MODEL_FORMAT;
  algorithm: "logistic-regression";
  features: number;
  /** Label values in class-index order (the spec's, else the evaluation set's); absent means [0, 1]. */
  classes?: ClassLabel[];
  /**
   * For CSV tasks: the columns every party reads (label, features in order, ignored ones), from
   * the evaluation file. impute is always null: means would come from the evaluation set.
   */
  schema?: DataSchema;
  /**
   * In the standardized space when standardization is not null; JSON per parameters.ts: D numbers
   * and one bias for two classes, K rows of D and K biases for K ≥ 3 (class-major).
   */
  weights: JsonWeights;
  bias: JsonBias;
  standardization: Standardization | null;
  round: number;
  federated: FederatedConfig;
  /**
   * Drift-corrected tasks, from round 1 on: the enclave's capped-weighted mean of the round's clipped
   * client gradients, parameterVector layout ([W..., b...]). Absent in round 0 and in every task
   * without federated.local.driftCorrection (so their bytes are what they always were).
   */
  correction?: number[];
  /** SHA-256 of the global model this one was aggregated from (null for the initial one). */
  previousHash: string | null;
  metrics: GlobalMetrics | null;
}

/** The model's bytes in its task's format: canonical JSON + newline, or binary (federated.modelFormat). */
export function globalModelBytes(model: GlobalModel): Uint8Array {
  if (model.federated.modelFormat === "binary") return encodeBinaryGlobalModel(model);
  return new TextEncoder().encode(canonicalJson(model) + "\n");
}

/** A global model from its bytes in either format (binary ones start with their magic bytes), checked. */
export function parseGlobalModel(bytes: Uint8Array, source: string): GlobalModel {
  const binary = isBinaryGlobalModel(bytes);
  const doc = binary
    ? decodeBinaryGlobalModel(bytes, source)
    : (parseJsonText(decodeUtf8(bytes, source), source) as Partial<GlobalModel> | null);
  const fail = (what: string): never => {
    throw flaiError(`${source} is not a hardhat-flai global model: ${what}.`);
  };
  if (doc === null || typeof doc !== "object") fail("not a JSON object");
  const m = doc as GlobalModel;
  if (m.format !== GLOBAL_MODEL_FORMAT) fail(`"format" must be "${GLOBAL_MODEL_FORMAT}"`);
  if (!Number.isInteger(m.features) || m.features < 1) fail(`"features" must be a whole number ≥ 1`);
  if (m.classes !== undefined && !validClasses(m.classes)) fail(`"classes" must be 2 to 255 distinct numbers or strings`);
  if (m.schema !== undefined) {
    try {
      m.schema = readDataSchema(m.schema, m.features, source);
    } catch (error) {
      fail((error as Error).message);
    }
  }
  let outputs = 0;
  try {
    outputs = weightsFromJson(m.weights, m.bias, m.features, source).outputs;
  } catch (error) {
    fail((error as Error).message);
  }
  const classCount = (m.classes ?? BINARY_CLASSES).length;
  if (outputs !== outputsFor(classCount))
    fail(`${classCount} classes need ${outputsFor(classCount)} output(s), but "weights"/"bias" have ${outputs}`);
  if (!Number.isInteger(m.round) || m.round < 0) fail(`"round" must be a whole number ≥ 0`);
  checkFederatedFields(m, outputs, binary, fail);
  if (m.standardization !== null && (m.standardization?.mean?.length !== m.features || m.standardization?.scale?.length !== m.features)) {
    fail(`"standardization" must be null or have ${m.features} means and scales`);
  }
  return m;
}

/** The task's side of a global model (strategy, rules, drift correction, counts, format), in the order refused. */
function checkFederatedFields(m: GlobalModel, outputs: number, binary: boolean, fail: (what: string) => never): void {
  const f = m.federated;
  if (f === undefined || typeof f !== "object") fail(`"federated" is missing`);
  if (!STRATEGIES.includes(f.strategy?.name)) fail(`"federated.strategy.name" must be one of ${STRATEGIES.join(", ")}`);
  // The key's former name: read as no clipping, such a model would aggregate without the bound it names.
  if ("clipNorm" in f.strategy)
    fail(`"federated.strategy.clipNorm" is the former name of "clippingNorm" (a model from an older hardhat-flai)`);
  if (!/^0x[0-9a-f]{64}$/.test(f.evaluationRoot ?? "")) fail(`"federated.evaluationRoot" must be a 0G root`);
  if (f.rules !== undefined) {
    try {
      checkRules(f.rules);
    } catch (error) {
      fail(`"federated.rules" is invalid: ${(error as Error).message}`);
    }
  }
  const drift = f.local?.driftCorrection;
  if (drift !== undefined) {
    try {
      checkDriftCorrection(drift);
    } catch (error) {
      fail(`"federated.local.driftCorrection" is invalid: ${(error as Error).message}`);
    }
    if (!driftCorrectionAllowed(f.strategy))
      fail(
        `"federated.local.driftCorrection" cannot be used with ${f.strategy.name}${f.strategy.noiseMultiplier !== undefined ? " and DP noise" : ""}`,
      );
  }
  if (m.correction !== undefined) {
    if (drift === undefined) fail(`"correction" is only for tasks with "federated.local.driftCorrection"`);
    const size = outputs * (m.features + 1);
    if (!(
      Array.isArray(m.correction) &&
      m.correction.length === size &&
      m.correction.every((v) => typeof v === "number" && Number.isFinite(v))
    )) {
      fail(`"correction" must be ${size} finite numbers (one per parameter, weights then biases)`);
    }
  }
  const expected = f.local?.expectedNumExamples;
  if (expected !== undefined && !(Number.isSafeInteger(expected) && expected >= 1))
    fail(`"federated.local.expectedNumExamples" must be a whole number ≥ 1`);
  const numExamples = m.metrics?.numExamples;
  if (numExamples !== undefined && !(Number.isSafeInteger(numExamples) && numExamples >= 1))
    fail(`"metrics.numExamples" must be a whole number ≥ 1`);
  if (f.nonce !== undefined && !/^0x[0-9a-f]{64}$/.test(f.nonce)) fail(`"federated.nonce" must be 0x + 64 lowercase hex digits`);
  if (f.sealed !== undefined && f.sealed !== true) fail(`"federated.sealed" must be true when present (a private task)`);
  // The bytes must be in the format the task committed to, so re-encoding the model gives them back.
  if (binary && f.modelFormat !== "binary")
    fail(`it is in the binary format, but "federated.modelFormat" is ${JSON.stringify(f.modelFormat)}, not "binary"`);
  if (!binary && f.modelFormat !== undefined && f.modelFormat !== "json") {
    fail(`it is JSON, but "federated.modelFormat" is ${JSON.stringify(f.modelFormat)}: a binary task's models are in the binary format`);
  }
}

function validClasses(classes: unknown): boolean {
  if (!Array.isArray(classes) || classes.length < 2 || classes.length > 255) return false;
  if (!classes.every((c) => typeof c === "string" || (typeof c === "number" && Number.isFinite(c)))) return false;
  return new Set(classes.map((c) => JSON.stringify(c))).size === classes.length;
}

/** The task's classes: as the model names them, or [0, 1]. */
export function modelClasses(model: GlobalModel): ClassLabel[] {
  return model.classes ?? [...BINARY_CLASSES];
}

/** The model's parameters class-major in memory (weights outputs × features, one bias per output). */
export function modelParameters(model: GlobalModel): LinearParameters {
  return weightsFromJson(model.weights, model.bias, model.features, "the global model");
}

/** Values in a delta / parameterVector of this model: outputs·(features + 1). */
export function parameterCount(model: GlobalModel): number {
  return outputsFor(modelClasses(model).length) * (model.features + 1);
}

/** The model as prediction and evaluation take it (a number bias for binary, one per class otherwise). */
export function linearModel(model: GlobalModel): LinearModel {
  const p = modelParameters(model);
  return { weights: p.weights, bias: p.outputs === 1 ? p.bias[0]! : p.bias, standardization: model.standardization };
}

/**
 * JSON weights and bias of `model` moved by `delta` (parameterVector layout: [W..., b...]), in one
 * pass into the JSON shapes (the enclave's round; at D = 1e5 the way through parameterVector and
 * back took five copies). The model's shape is checked first, as modelParameters checks it.
 */
export function addDelta(model: GlobalModel, delta: ArrayLike<number>): { weights: JsonWeights; bias: JsonBias } {
  const { features } = model;
  const outputs = outputsFor(modelClasses(model).length);
  if (delta.length !== outputs * (features + 1)) {
    throw flaiError(
      `A delta for ${features} feature(s) and ${outputs} output(s) has ${outputs * (features + 1)} values, got ${delta.length}.`,
    );
  }
  const moveRow = (row: number[], k: number): number[] => {
    if (row.length !== features) throw flaiError(`the global model: a weight row has ${row.length} values, but "features" is ${features}.`);
    const out = new Array<number>(features);
    for (let j = 0; j < features; j++) out[j] = row[j]! + delta[k * features + j]!;
    return out;
  };
  const bias = model.bias;
  if (typeof bias === "number") return { weights: moveRow(model.weights as number[], 0), bias: bias + delta[features]! };
  const rows = model.weights as number[][];
  if (rows.length !== outputs || bias.length !== outputs)
    throw flaiError(`the global model: ${outputs} outputs need ${outputs} weight rows and biases.`);
  return { weights: rows.map(moveRow), bias: bias.map((b, k) => b + delta[outputs * features + k]!) };
}

/** The task's round rules: as committed in the model, or the defaults for a model that has none. */
export function roundRules(model: GlobalModel): RoundRules {
  return model.federated.rules ?? resolveRules(undefined, model.federated.strategy);
}

/** A fresh task nonce (see FederatedConfig.nonce). */
export function taskNonce(): string {
  return "0x" + randomBytes(32).toString("hex");
}
