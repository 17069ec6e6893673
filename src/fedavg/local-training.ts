import { validateFeatureCount, type Dataset } from "../ml/dataset.js";
import { trainLogisticRegression } from "../ml/logistic.js";

import { evaluate } from "./evaluate.js";
import type { GlobalModel } from "./global-model.js";
import type { ClientUpdate } from "./update.js";

/**
 * One client's round: warm-start L-BFGS from the global weights on local data (with the FedProx
 * proximal term when the task uses it) and send only the difference.
 */
export function trainClientUpdate(global: GlobalModel, globalHash: string, data: Dataset, source: string): ClientUpdate {
  validateFeatureCount(data, global.features, source);
  const { local, strategy } = global.federated;
  const center = [...global.weights, global.bias];
  const fit = trainLogisticRegression(data, {
    c: local.c,
    maxIterations: local.maxIterations,
    standardize: global.standardization !== null,
    standardization: global.standardization ?? undefined,
    initialWeights: global.weights,
    initialBias: [global.bias],
    proximal: strategy.name === "fedprox" && local.mu > 0 ? { mu: local.mu, center } : undefined,
  });
  const delta = new Float64Array(global.features + 1);
  for (let j = 0; j < global.features; j++) delta[j] = fit.weights[j]! - global.weights[j]!;
  delta[global.features] = fit.bias[0]! - global.bias;
  const quality = evaluate(fit, data);
  return { delta, sampleCount: data.rows, metrics: { loss: quality.logLoss, accuracy: quality.accuracy }, baseModelHash: globalHash };
}
