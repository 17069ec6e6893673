import { ZeroHash } from "ethers/constants";

import type { Dataset } from "../ml/dataset.js";
import type { Standardization } from "../ml/logistic.js";
import { BINARY_CLASSES, outputsFor, weightsToJson, type ClassLabel } from "../ml/parameters.js";

import { resolveDriftCorrection, type DriftCorrection } from "./drift-correction.js";
import { evaluate } from "./evaluate.js";
import { GLOBAL_MODEL_FORMAT, globalModelBytes, linearModel, type GlobalModel, type ModelFormat } from "./global-model.js";
import { DEFAULT_LOCAL_ITERATIONS, trainClientUpdate } from "./local-training.js";
import { combineRound } from "./round-aggregate.js";
import { resolveRules, type RoundRules } from "./round-rules.js";
import type { StrategyConfig } from "./strategies.js";
import { sha256Hex } from "../util/sha256.js";

/** What a federated task fixes in its initial model, for a run without a chain. */
export interface InProcessTask {
  features: number;
  /** The task's classes in index order; default [0, 1]. K ≥ 3 makes a multinomial (softmax) model. */
  classes?: ClassLabel[];
  /** The shared feature scaling (never fit on the evaluation data), or null to train unstandardized. */
  standardization: Standardization | null;
  strategy?: StrategyConfig;
  rules?: Partial<RoundRules>;
  /** The federation's L2 strength C (sklearn's). Default 1. */
  c?: number;
  /** driftCorrection: as createTask's (undefined = on for fedavg/fedprox without noise, false = off). */
  local?: { maxIterations?: number; proximalMu?: number; expectedNumExamples?: number; driftCorrection?: boolean | DriftCorrection };
  /** As createTask's; here only "binary" matters (the hash each round's updates name). Default json. */
  modelFormat?: ModelFormat;
}

export interface InProcessRound {
  round: number;
  accuracy: number;
  logLoss: number;
  /** N the next round's clients use (Σ capped num_examples). */
  numExamples: number;
}

/** An initial global model as createTask builds it, with a placeholder evaluation root and no nonce. */
export function initialModel(task: InProcessTask): GlobalModel {
  const strategy = task.strategy ?? { name: "fedavg" };
  const outputs = outputsFor((task.classes ?? BINARY_CLASSES).length);
  const driftCorrection = resolveDriftCorrection(task.local?.driftCorrection, strategy);
  const start = weightsToJson(new Float64Array(outputs * task.features), new Float64Array(outputs));
  return {
    format: GLOBAL_MODEL_FORMAT,
    algorithm: "logistic-regression",
    features: task.features,
    ...(task.classes !== undefined ? { classes: [...task.classes] } : {}),
    weights: start.weights,
    bias: start.bias,
    standardization: task.standardization,
    round: 0,
    federated: {
      strategy,
      local: {
        maxIterations: task.local?.maxIterations ?? DEFAULT_LOCAL_ITERATIONS,
        c: task.c ?? 1,
        mu: task.local?.proximalMu ?? (strategy.name === "fedprox" ? 0.01 : 0),
        ...(task.local?.expectedNumExamples !== undefined ? { expectedNumExamples: task.local.expectedNumExamples } : {}),
        ...(driftCorrection !== undefined ? { driftCorrection } : {}),
      },
      evaluationRoot: ZeroHash,
      rules: resolveRules(task.rules, strategy),
      ...(task.modelFormat === "binary" ? { modelFormat: "binary" as const } : {}),
    },
    previousHash: null,
    metrics: null,
  };
}

/**
 * Federated rounds on one machine, without a chain, storage or envelopes: every client runs the
 * same local training a real client runs (trainClientUpdate) and the round is combined by the same
 * math the enclave uses (combineRound), drift correction included (the task's default, as on chain).
 * For measuring convergence and testing the federated math.
 * Every client takes part in every round; `seed` drives DP noise, if any.
 */
export function runRoundsInProcess(
  task: InProcessTask,
  clients: readonly Dataset[],
  evaluation: Dataset,
  rounds: number,
  seed = 1,
): { rounds: InProcessRound[]; model: GlobalModel } {
  let model = initialModel(task);
  const out: InProcessRound[] = [];
  for (let round = 1; round <= rounds; round++) {
    const hash = sha256Hex(globalModelBytes(model));
    const updates = clients.map((data, k) => trainClientUpdate(model, hash, data, `client ${k + 1}`, { expectedClients: clients.length }));
    const combined = combineRound(
      model,
      updates.map((u) => ({ delta: u.delta, numExamples: u.numExamples, gradient: u.gradient })),
      round,
      seed + round,
    );
    const quality = evaluate(linearModel({ ...model, weights: combined.weights, bias: combined.bias }), evaluation);
    model = {
      ...model,
      weights: combined.weights,
      bias: combined.bias,
      ...(combined.correction !== null ? { correction: Array.from(combined.correction) } : {}),
      round,
      previousHash: hash,
      metrics: {
        ...quality,
        accepted: updates.length,
        rejected: 0,
        totalNumExamples: updates.reduce((s, u) => s + u.numExamples, 0),
        numExamples: combined.numExamples,
        dp: combined.dp,
      },
    };
    out.push({ round, ...quality, numExamples: combined.numExamples });
  }
  return { rounds: out, model };
}
