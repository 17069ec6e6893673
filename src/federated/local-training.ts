import type { Dataset } from "../ml/dataset.js";
import {
  objectiveGradient,
  predictLabels,
  predictProbaCentered,
  trainingRows,
  trainLogisticRegression,
  type LinearModel,
  type LogisticOptions,
} from "../ml/logistic.js";
import { accuracy, logLoss } from "../ml/metrics.js";
import { parameterVector } from "../ml/parameters.js";

import { checkTaskData } from "./classes.js";
import { correctionTerm } from "./drift-correction.js";
import { evaluate } from "./evaluate.js";
import { modelParameters, type GlobalModel } from "./global-model.js";
import type { ClientUpdate } from "./update.js";

/**
 * L-BFGS iterations per client per round. Few on purpose: a client trained to its own optimum
 * returns the same model whatever global model it started from, so on non-IID data FedAvg would
 * stop improving after round 1 (measured on a Dirichlet 0.3 split; see README "What objective the
 * federation minimizes"). Three steps from the global model move it toward every client's data
 * without reaching any one client's optimum.
 */
export const DEFAULT_LOCAL_ITERATIONS = 3;

/** What a client needs besides the global model to set its local objective. */
export interface LocalRoundContext {
  /**
   * Clients the round expects (the task's quorum): only for round 1 of a task whose creator
   * declared no expectedNumExamples, to estimate the federation's total as this client's rows × it.
   */
  expectedClients?: number;
}

/**
 * One client's round: warm-start L-BFGS from the global weights on local data (with the FedProx
 * proximal term when the task uses it), for the task's few local iterations, and send only the
 * difference. The L2 penalty is the client's share of the federation's (see localC).
 *
 * With drift correction (drift-correction.ts) the client also sends g_k = ∇F_k at the global model,
 * trains with the task's proximal term (its mu replaces FedProx's), and from round 2 on, when the
 * model carries the enclave's correction c, adds the linear term ⟨c − g_k, θ⟩.
 *
 * The gradient and the training read the data through one trainingRows: the workers' copy is made
 * once, and the training's first evaluation (at the global model, where g_k was taken) reuses g_k's
 * pass over the rows.
 */
export function trainClientUpdate(
  global: GlobalModel,
  globalHash: string,
  data: Dataset,
  source: string,
  context: LocalRoundContext = {},
): ClientUpdate {
  const local = checkTaskData(data, global, source);
  const { local: training, strategy } = global.federated;
  const drift = training.driftCorrection;
  const start = modelParameters(global);
  const center = parameterVector(start.weights, start.bias);
  const objective: LogisticOptions = {
    c: localC(global, local.rows, context),
    standardize: global.standardization !== null,
    standardization: global.standardization ?? undefined,
    initialWeights: start.weights,
    initialBias: start.bias,
  };
  const rows = trainingRows(local, objective);
  let gradient: Float64Array | undefined;
  let fit;
  try {
    gradient = drift === undefined ? undefined : objectiveGradient(local, { ...objective, rows });
    const mu = drift?.mu ?? (strategy.name === "fedprox" ? training.mu : 0);
    fit = trainLogisticRegression(local, {
      ...objective,
      rows,
      maxIterations: training.maxIterations,
      proximal: mu > 0 ? { mu, center } : undefined,
      linear: gradient !== undefined && global.correction !== undefined ? correctionTerm(global.correction, gradient) : undefined,
    });
  } finally {
    rows.close();
  }
  const delta = parameterVector(fit.weights, fit.bias);
  for (let i = 0; i < delta.length; i++) delta[i]! -= center[i]!;
  const quality = fit.outputs === 1 ? binaryQuality({ ...fit, bias: fit.bias[0]! }, local) : evaluate(fit, local);
  return {
    delta,
    numExamples: local.rows,
    metrics: { loss: quality.logLoss, accuracy: quality.accuracy },
    baseModelHash: globalHash,
    ...(gradient !== undefined ? { gradient } : {}),
  };
}

/**
 * A binary model's accuracy and log-loss on the client's own data: evaluate()'s, with the
 * standardization applied as training applies it (no division per value; equal up to rounding).
 */
function binaryQuality(model: LinearModel, data: Dataset): { accuracy: number; logLoss: number } {
  const proba = predictProbaCentered(model, data.features, data.rows, data.cols);
  return { accuracy: accuracy(data.labels, predictLabels(proba)), logLoss: logLoss(data.labels, proba) };
}

/**
 * The client's C: C·N/n_k, so that the clients' objectives add up to the centralized one.
 * Centralized: C·Σ_i loss_i + ½‖w‖². Split by client, that is Σ_k [C·Σ_{i∈k} loss_i + ½(n_k/N)‖w‖²],
 * and client k's term is (n_k/N)·[C_k·Σ_{i∈k} loss_i + ½‖w‖²] with C_k = C·N/n_k. With the full
 * penalty on every client (C_k = C), ten clients would regularize like C/10.
 */
export function localC(global: GlobalModel, rows: number, context: LocalRoundContext = {}): number {
  return (global.federated.local.c * Math.max(rows, federationNumExamples(global, rows, context))) / rows;
}

/**
 * N, the federation's total num_examples, from the most trustworthy source there is: what the
 * enclave accepted last round (the capped num_examples it weighed, carried in the global model it
 * signed), else the creator's declared expectedNumExamples (committed in the initial model), else
 * an estimate, this client's rows × the clients the round expects (1 if unknown).
 */
export function federationNumExamples(global: GlobalModel, rows: number, context: LocalRoundContext = {}): number {
  return global.metrics?.numExamples ?? global.federated.local.expectedNumExamples ?? rows * (context.expectedClients ?? 1);
}
