import { flaiError } from "../errors.js";

/** A class label as the data spells it: 0/1, other integers, or strings ("setosa"). */
export type ClassLabel = string | number;

/** The classes of 0/1 data; the default when a spec names none. */
export const BINARY_CLASSES: readonly ClassLabel[] = [0, 1];

/** Weights as JSON carries them: one row of D for binary (as before), K rows of D for K ≥ 3 classes. */
export type JsonWeights = number[] | number[][];
/** Bias as JSON carries it: one number for binary (as before), K numbers for K ≥ 3 classes. */
export type JsonBias = number | number[];

/** A linear model's parameters in memory: weights class-major (outputs × features), one bias per output. */
export interface LinearParameters {
  weights: Float64Array;
  bias: Float64Array;
  outputs: number;
}

/**
 * Linear outputs a model needs for `classCount` classes: 1 for two classes (the sigmoid of the
 * class-1 score, as scikit-learn's binary LogisticRegression), K for K ≥ 3 (softmax, multinomial).
 */
export function outputsFor(classCount: number): number {
  if (!Number.isInteger(classCount) || classCount < 2 || classCount > 255) {
    throw flaiError(`A classifier needs 2 to 255 classes, got ${classCount}. List the classes in the model spec's "classes".`);
  }
  return classCount === 2 ? 1 : classCount;
}

/**
 * [W row 0..., W row outputs−1..., b...]: the flat vector federated deltas, FedProx centers and
 * the optimizer work on. For binary it is exactly [w..., b].
 */
export function parameterVector(weights: ArrayLike<number>, bias: ArrayLike<number>): Float64Array {
  const out = new Float64Array(weights.length + bias.length);
  for (let i = 0; i < weights.length; i++) out[i] = weights[i]!;
  for (let k = 0; k < bias.length; k++) out[weights.length + k] = bias[k]!;
  return out;
}

/** The inverse of parameterVector for `features` inputs and `outputs` linear outputs. */
export function splitParameters(vec: ArrayLike<number>, features: number, outputs: number): { weights: Float64Array; bias: Float64Array } {
  const size = outputs * features;
  if (vec.length !== size + outputs) {
    throw flaiError(
      `A parameter vector for ${features} feature(s) and ${outputs} output(s) has ${size + outputs} values ` +
        `(${outputs}×${features} weights, then ${outputs} bias), got ${vec.length}.`,
    );
  }
  const weights = new Float64Array(size);
  const bias = new Float64Array(outputs);
  for (let i = 0; i < size; i++) weights[i] = vec[i]!;
  for (let k = 0; k < outputs; k++) bias[k] = vec[size + k]!;
  return { weights, bias };
}

/** JSON form of class-major weights and biases (plain arrays, so canonical JSON can write them). */
export function weightsToJson(weights: ArrayLike<number>, bias: ArrayLike<number>): { weights: JsonWeights; bias: JsonBias } {
  const outputs = bias.length;
  if (outputs < 1 || weights.length % outputs !== 0) {
    throw flaiError(`Cannot split ${weights.length} weights into ${outputs} output row(s).`);
  }
  if (outputs === 1) return { weights: Array.from(weights), bias: bias[0]! };
  const features = weights.length / outputs;
  const rows: number[][] = [];
  for (let k = 0; k < outputs; k++) rows.push(Array.from({ length: features }, (_, j) => weights[k * features + j]!));
  return { weights: rows, bias: Array.from(bias) };
}

/**
 * Class-major arrays from the JSON form; the shape must be binary (number[] + number) or
 * multinomial (number[][] + number[], same row count), with `features` weights per row.
 */
export function weightsFromJson(weights: JsonWeights, bias: JsonBias, features: number, source = "the model"): LinearParameters {
  if (typeof bias === "number") {
    if (!weights.every((w) => typeof w === "number")) {
      throw flaiError(`${source}: "bias" is one number (binary model), so "weights" must be one array of ${features} numbers.`);
    }
    checkRow(weights as number[], features, source, "weights");
    return { weights: Float64Array.from(weights as number[]), bias: Float64Array.of(bias), outputs: 1 };
  }
  const rows = weights as unknown[];
  if (!rows.every(Array.isArray) || rows.length !== bias.length || rows.length < 3) {
    throw flaiError(
      `${source}: a multinomial model has K ≥ 3 rows in "weights" (one array of ${features} numbers per class) ` +
        `and K numbers in "bias"; got ${rows.length} weight row(s) and ${bias.length} bias value(s).`,
    );
  }
  const outputs = bias.length;
  const flat = new Float64Array(outputs * features);
  (rows as number[][]).forEach((row, k) => {
    checkRow(row, features, source, `weights[${k}]`);
    flat.set(row, k * features);
  });
  return { weights: flat, bias: Float64Array.from(bias), outputs };
}

function checkRow(row: number[], features: number, source: string, path: string): void {
  if (row.length !== features) {
    throw flaiError(`${source}: "${path}" has ${row.length} values but "features" is ${features}; give one per feature.`);
  }
  const bad = row.findIndex((w) => typeof w !== "number" || !Number.isFinite(w));
  if (bad !== -1) throw flaiError(`${source}: "${path}[${bad}]" is ${JSON.stringify(row[bad])}; weights must be finite numbers.`);
}
