import { createHash } from "node:crypto";

import type { Dataset } from "../ml/dataset.js";
import { objectiveGradient, trainLogisticRegression, type LogisticOptions } from "../ml/logistic.js";
import { parameterVector } from "../ml/parameters.js";

import { checkTaskData } from "./classes.js";
import { evaluate } from "./evaluate.js";
import { globalModelBytes, linearModel, modelParameters, type GlobalModel } from "./global-model.js";
import { initialModel, type InProcessRound, type InProcessTask } from "./in-process.js";
import { localC, type LocalRoundContext } from "./local-training.js";
import { combineRound } from "./round-aggregate.js";

/**
 * Drift correction (SCAFFOLD-style control variates), measured in-process only: NOT part of the
 * protocol yet (the update envelope, the enclave's aggregation and the global model do not carry
 * gradients). See README "Closing FedAvg's client drift" for the measurements and what wiring it
 * into the protocol needs.
 *
 * Round r: client k reports g_k = ∇F_k(x_r), its local objective's gradient at the round's global
 * model, with its delta. The enclave's weighted mean of the round's (clipped) gradients, c_r, is
 * carried to round r + 1, where each client minimizes F_k(θ) + ⟨c_r − ∇F_k(x_{r+1}), θ⟩ plus the
 * proximal term (mu/2)‖θ − x_{r+1}‖². At a fixed point (x_{r+1} = x_r) the corrected local problems
 * are stationary where the federation's objective Σ w_k F_k is: averaging partial local solves is
 * no longer biased toward each client's own optimum. The proximal term is required: F_k alone is
 * unbounded below along the bias of a class the client lacks, and a linear term there diverges.
 */
export interface DriftCorrection {
  /** Proximal strength mu (sample-averaged objective). 0.2 measured best with 3 local iterations. */
  mu: number;
  /** Each reported gradient is scaled down to at most this L2 norm before averaging (untrusted input). */
  maxGradientNorm: number;
}

export const DEFAULT_DRIFT_CORRECTION: DriftCorrection = { mu: 0.2, maxGradientNorm: 10 };

/** What a corrected client round returns: the delta the enclave averages and the gradient it carries forward. */
export interface CorrectedClientRound {
  delta: Float64Array;
  gradient: Float64Array;
  sampleCount: number;
}

/**
 * One client's corrected round: local objective as trainClientUpdate sets it (C_k = C·N/n_k, the
 * global scaling, warm start from the global model), plus the proximal term and, from round 2 on,
 * the linear term c − ∇F_k(x). `correction` is the previous round's aggregate (null in round 1).
 */
export function trainCorrectedClientRound(
  global: GlobalModel,
  data: Dataset,
  source: string,
  correction: Float64Array | null,
  drift: DriftCorrection,
  context: LocalRoundContext = {},
): CorrectedClientRound {
  const local = checkTaskData(data, global, source);
  const start = modelParameters(global);
  const center = parameterVector(start.weights, start.bias);
  const base: LogisticOptions = {
    c: localC(global, local.rows, context),
    standardize: global.standardization !== null,
    standardization: global.standardization ?? undefined,
    initialWeights: start.weights,
    initialBias: start.bias,
  };
  const gradient = objectiveGradient(local, base);
  const fit = trainLogisticRegression(local, {
    ...base,
    maxIterations: global.federated.local.maxIterations,
    proximal: { mu: drift.mu, center },
    linear: correction === null ? undefined : correctionTerm(correction, gradient),
  });
  const delta = parameterVector(fit.weights, fit.bias);
  for (let i = 0; i < delta.length; i++) delta[i]! -= center[i]!;
  return { delta, gradient, sampleCount: local.rows };
}

/** The client's linear term c − ∇F_k(x). */
export function correctionTerm(correction: Float64Array, gradient: Float64Array): Float64Array {
  const out = new Float64Array(gradient.length);
  for (let t = 0; t < out.length; t++) out[t] = correction[t]! - gradient[t]!;
  return out;
}

/**
 * The enclave's side: Σ w_k·clip(g_k) / Σ w_k with the round's capped num_examples as weights (the
 * same weights as the deltas) and every gradient scaled to L2 norm ≤ maxNorm, so one client moves
 * the correction by at most its capped share × maxNorm.
 */
export function aggregateGradients(gradients: readonly Float64Array[], weights: readonly number[], maxNorm: number): Float64Array {
  const total = weights.reduce((s, w) => s + w, 0);
  const out = new Float64Array(gradients[0]?.length ?? 0);
  gradients.forEach((g, k) => {
    let sq = 0;
    for (const v of g) sq += v * v;
    const norm = Math.sqrt(sq);
    const scale = (weights[k]! / total) * (norm > maxNorm ? maxNorm / norm : 1);
    for (let t = 0; t < out.length; t++) out[t]! += scale * g[t]!;
  });
  return out;
}

/**
 * runRoundsInProcess with drift correction: the same initial model, local objective and round math
 * (combineRound: capped weights, the task's strategy, N for the next round), plus the correction
 * carried from round to round. Every client takes part in every round.
 */
export function runDriftCorrectedInProcess(
  task: InProcessTask,
  clients: readonly Dataset[],
  evaluation: Dataset,
  rounds: number,
  drift: DriftCorrection = DEFAULT_DRIFT_CORRECTION,
  seed = 1,
): { rounds: InProcessRound[]; model: GlobalModel } {
  let model = initialModel(task);
  let correction: Float64Array | null = null;
  const out: InProcessRound[] = [];
  for (let round = 1; round <= rounds; round++) {
    const hash = "0x" + createHash("sha256").update(globalModelBytes(model)).digest("hex");
    const updates = clients.map((data, k) => trainCorrectedClientRound(model, data, `client ${k + 1}`, correction, drift, { expectedClients: clients.length }));
    const combined = combineRound(model, updates.map((u) => ({ delta: u.delta, numExamples: u.sampleCount })), round, seed + round);
    correction = aggregateGradients(updates.map((u) => u.gradient), combined.capping.weights, drift.maxGradientNorm);
    const quality = evaluate(linearModel({ ...model, weights: combined.weights, bias: combined.bias }), evaluation);
    const samples = updates.reduce((s, u) => s + u.sampleCount, 0);
    model = {
      ...model,
      weights: combined.weights,
      bias: combined.bias,
      round,
      previousHash: hash,
      metrics: { ...quality, accepted: updates.length, rejected: 0, samples, numExamples: combined.numExamples, dp: combined.dp },
    };
    out.push({ round, ...quality, numExamples: combined.numExamples });
  }
  return { rounds: out, model };
}
