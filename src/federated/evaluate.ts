import { flaiError } from "../errors.js";
import {
  classificationMetrics,
  probabilityMatrix,
  type ClassificationMetrics,
  type ProbabilityMatrix,
} from "../ml/classification-metrics.js";
import type { Dataset } from "../ml/dataset.js";
import { predictLabels, predictProba, type LinearModel } from "../ml/logistic.js";
import { accuracy, logLoss } from "../ml/metrics.js";

/**
 * Accuracy and log-loss of a model on a labelled set: what the enclave commits per round. The
 * binary path is computed exactly as it always was (the numbers are hashed into global models).
 */
export function evaluate(model: LinearModel, ds: Dataset): { accuracy: number; logLoss: number } {
  if (outputsOf(model) === 1) {
    const proba = predictProba(model, ds.features, ds.rows, ds.cols);
    return { accuracy: accuracy(ds.labels, predictLabels(proba)), logLoss: logLoss(ds.labels, proba) };
  }
  const m = evaluateClassifier(model, ds);
  return { accuracy: m.accuracy, logLoss: m.logLoss };
}

/** Every ClassificationMetrics of a binary or multinomial model on a labelled set. */
export function evaluateClassifier(model: LinearModel, ds: Dataset): ClassificationMetrics {
  return classificationMetrics(ds.labels, classProbabilities(model, ds));
}

/** 1 for a sigmoid model (bias is one number), K for a softmax one (one bias per class). */
export function outputsOf(model: LinearModel): number {
  return typeof model.bias === "number" ? 1 : model.bias.length;
}

/**
 * P(class k) for every row and class: the sigmoid's [1 − p, p] for a binary model, the softmax of
 * the K class scores (class-major weights) otherwise. Applies the model's standardization.
 */
export function classProbabilities(model: LinearModel, ds: Dataset): ProbabilityMatrix {
  const outputs = outputsOf(model);
  const classCount = ds.classes.length;
  if (outputs === 1) return probabilityMatrix(predictProba(model, ds.features, ds.rows, ds.cols), ds.rows, Math.max(2, classCount));
  if (outputs !== classCount) {
    throw flaiError(
      `The model scores ${outputs} classes but the data has ${classCount} (${ds.classes.join(", ")}); they must be the same classes.`,
    );
  }
  const { rows, cols, features } = ds;
  if (model.weights.length !== outputs * cols) {
    throw flaiError(`The model has ${model.weights.length} weights, but ${outputs} classes × ${cols} features need ${outputs * cols}.`);
  }
  const bias = model.bias as ArrayLike<number>;
  const st = model.standardization;
  const x = new Float64Array(cols);
  const values = new Float64Array(rows * outputs);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) x[j] = st === null ? features[i * cols + j]! : (features[i * cols + j]! - st.mean[j]!) / st.scale[j]!;
    let max = -Infinity;
    for (let k = 0; k < outputs; k++) {
      let z = bias[k]!;
      for (let j = 0; j < cols; j++) z += model.weights[k * cols + j]! * x[j]!;
      values[i * outputs + k] = z;
      max = Math.max(max, z);
    }
    // Shifting by the largest score keeps exp() finite; the ratios are unchanged.
    let sum = 0;
    for (let k = 0; k < outputs; k++) sum += values[i * outputs + k] = Math.exp(values[i * outputs + k]! - max);
    for (let k = 0; k < outputs; k++) values[i * outputs + k]! /= sum;
  }
  return { rows, classCount: outputs, values };
}
