import type { Dataset } from "../ml/dataset.js";
import { predictLabels, predictProba, type LinearModel } from "../ml/logistic.js";
import { accuracy, logLoss } from "../ml/metrics.js";

export function evaluate(model: LinearModel, ds: Dataset): { accuracy: number; logLoss: number } {
  const proba = predictProba(model, ds.features, ds.rows, ds.cols);
  return { accuracy: accuracy(ds.labels, predictLabels(proba)), logLoss: logLoss(ds.labels, proba) };
}
