import { flaiError } from "../errors.js";
import { probabilityMatrix, type ProbabilityMatrix } from "./classification-metrics.js";
import { predictProba, type Standardization } from "./logistic.js";

/** What prediction needs, for any class count: class-major weights and one bias per output. */
export interface ClassModel {
  /** outputs × features, class-major; in the standardized space when standardization is not null. */
  weights: ArrayLike<number>;
  /** One per output: 1 for a binary model, K for K ≥ 3 classes. */
  bias: ArrayLike<number>;
  standardization: Standardization | null;
}

/**
 * Class probabilities, rows × classes (2 for a binary model: [1 − P(class 1), P(class 1)], the
 * latter exactly predictProba's; softmax of the K scores otherwise). Applies the model's
 * standardization as training did.
 */
export function predictClassProba(model: ClassModel, features: ArrayLike<number>, rows: number, cols: number): ProbabilityMatrix {
  const outputs = model.bias.length;
  if (outputs === 1) return probabilityMatrix(predictProba(model, features, rows, cols), rows, 2);
  if (model.weights.length !== outputs * cols) {
    throw flaiError(`The model has ${model.weights.length} weights (${outputs} classes) but the data has ${cols} features per row.`);
  }
  if (features.length !== rows * cols) {
    throw flaiError(`Expected ${rows}×${cols} = ${rows * cols} feature values, got ${features.length}.`);
  }
  const st = model.standardization;
  const x = new Float64Array(cols);
  const values = new Float64Array(rows * outputs);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) {
      const v = features[i * cols + j]!;
      x[j] = st === null ? v : (v - st.mean[j]!) / st.scale[j]!;
    }
    softmaxRow(model, x, cols, outputs, values, i * outputs);
  }
  return { rows, classCount: outputs, values };
}

/** out[at + k] = softmax(b + W·x)_k, shifted by the largest score so no exp overflows. */
function softmaxRow(model: ClassModel, x: Float64Array, cols: number, outputs: number, out: Float64Array, at: number): void {
  let max = -Infinity;
  for (let k = 0; k < outputs; k++) {
    let z = model.bias[k]!;
    for (let j = 0; j < cols; j++) z += model.weights[k * cols + j]! * x[j]!;
    out[at + k] = z;
    if (z > max) max = z;
  }
  let sum = 0;
  for (let k = 0; k < outputs; k++) {
    const e = Math.exp(out[at + k]! - max);
    out[at + k] = e;
    sum += e;
  }
  for (let k = 0; k < outputs; k++) out[at + k]! /= sum;
}
