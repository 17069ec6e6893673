import { createHash } from "node:crypto";

import { flaiError } from "../errors.js";
import { readLocalFile } from "../inputs.js";
import type { ConnectionOption } from "../jobs/types.js";
import { parseDataset, type Dataset } from "../ml/dataset.js";
import { LOGISTIC_DEFAULTS, trainLogisticRegression } from "../ml/logistic.js";
import { canonicalJson } from "../ml/model.js";
import type { FlaiRuntime } from "../runtime.js";
import { useConnection } from "../connection.js";

import { evaluate } from "./evaluate.js";
import { holdoutSplit, partitionDataset } from "./partition.js";
import type { SimulatedRound, SimulationResult } from "./simulation-types.js";
import { roundRules } from "./global-model.js";
import { describeProtection, protectionOf, type RoundRules } from "./round-rules.js";
import { DEFAULT_DP_DELTA, gaussianEpsilon, type StrategyConfig } from "./strategies.js";
import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

export interface SimulationOptions extends ConnectionOption {
  /** One dataset (file or parsed) split into a holdout set and N clients' shares. */
  data: string | Dataset;
  clients: number;
  rounds: number;
  partition: "iid" | "dirichlet";
  alpha?: number;
  seed?: number;
  strategy: StrategyConfig;
  /** The task's round rules; unset ones get their defaults (round-rules.ts). */
  rules?: Partial<RoundRules>;
  /** L-BFGS iterations per client per round (default 25). */
  localIterations?: number;
  mu?: number;
  holdoutFraction?: number;
  reward: string;
  onProgress?: (message: string) => void;
}

const sha256 = (bytes: Uint8Array) => "0x" + createHash("sha256").update(bytes).digest("hex");

/**
 * A whole federated run on one machine: every client is its own account running the same client
 * code a remote client runs (`fedavg.runClient`), against the same chain and storage.
 */
export async function runSimulation(hre: HardhatRuntimeEnvironment, flai: FlaiRuntime, opts: SimulationOptions): Promise<SimulationResult> {
  const seed = opts.seed ?? 1;
  const say = opts.onProgress ?? (() => {});
  const connection = await useConnection(hre, opts.connection);
  const signers = await connection.ethers.getSigners();
  if (!Number.isInteger(opts.clients) || opts.clients < 1) {
    throw flaiError(`--clients must be a whole number ≥ 1, got ${opts.clients}.`);
  }
  if (opts.clients > signers.length - 1) {
    throw flaiError(
      `--clients ${opts.clients} needs ${opts.clients + 1} accounts (one per client plus the task creator), but network ` +
        `"${connection.networkName}" has ${signers.length}. Lower --clients or configure more accounts for the network.`,
    );
  }
  const all = typeof opts.data === "string" ? parseDataset(await readLocalFile(opts.data, "--data"), opts.data) : opts.data;
  const { train, test } = holdoutSplit(all, opts.holdoutFraction ?? 0.2, seed);
  const shares = partitionDataset(train, opts.clients, { scheme: opts.partition, alpha: opts.alpha, seed });

  const spec = { format: "flai-model/v1", algorithm: "logistic-regression", features: all.cols, hyperparameters: { ...LOGISTIC_DEFAULTS } };
  const [specRoot, evalRoot] = await Promise.all([
    flai.storage.upload(new TextEncoder().encode(canonicalJson(spec))),
    flai.storage.upload(new TextEncoder().encode(datasetJson(test))),
  ]);
  say(`creating task: ${opts.clients} clients × ${opts.rounds} rounds, ${opts.strategy.name}, ${opts.partition} split`);
  const created = await flai.fedavg.createTask({
    model: specRoot.root,
    evaluation: evalRoot.root,
    rounds: opts.rounds,
    quorum: opts.clients,
    reward: opts.reward,
    strategy: opts.strategy,
    rules: opts.rules,
    local: { maxIterations: opts.localIterations, mu: opts.mu },
    connection,
  });
  const taskId = created.task.id;
  const clients = signers.slice(1, opts.clients + 1);
  const rules = roundRules(await flai.fedavg.globalModel(taskId, { connection }));

  const rounds: SimulatedRound[] = [];
  for (let round = 1; round <= opts.rounds; round++) {
    const timings = { train: 0, encrypt: 0, upload: 0, chain: 0, aggregate: 0 };
    const recordGas: bigint[] = [];
    for (let i = 0; i < clients.length; i++) {
      say(`round ${round}/${opts.rounds}: client ${i + 1}/${clients.length} training`);
      const r = await flai.fedavg.runClient({ taskId, data: shares[i]!, signer: clients[i], connection });
      for (const k of ["train", "encrypt", "upload", "chain"] as const) timings[k] += r.timings[k];
      recordGas.push(r.gasUsed);
    }
    say(`round ${round}/${opts.rounds}: aggregating in the enclave`);
    const agg = await flai.fedavg.aggregate({ taskId, connection });
    timings.aggregate = agg.timings.fetch + agg.timings.aggregate + agg.timings.upload + agg.timings.chain;
    rounds.push({
      round,
      accuracy: agg.metrics.accuracy,
      logLoss: agg.metrics.logLoss,
      globalRoot: agg.globalRoot,
      globalHash: agg.globalHash,
      reportRoot: agg.reportRoot,
      commitment: agg.commitment,
      accepted: agg.accepted,
      rejected: agg.rejected,
      epsilon: agg.metrics.dp?.epsilon ?? null,
      protection: describeProtection(protectionOf(agg.accepted.length, agg.metrics.dp?.epsilon ?? 0, rules, opts.strategy)),
      gas: { recordUpdate: recordGas, finalizeRound: agg.gasUsed },
      timings,
      verified: await verifyRound(flai, agg),
    });
  }

  say("claiming rewards");
  let claimed = 0n;
  for (const round of rounds) {
    for (const signer of clients) {
      if (round.accepted.some((a) => a.client === signer.address)) {
        claimed += (await flai.fedavg.claim({ taskId, round: round.round, signer, connection })).amount;
      }
    }
  }

  const final = await flai.fedavg.globalModel(taskId, { connection });
  const pooled = trainLogisticRegression(train, {
    c: spec.hyperparameters.c,
    maxIterations: 200,
    standardization: final.standardization ?? undefined,
    standardize: final.standardization !== null,
  });
  const status = await flai.fedavg.task(taskId, { connection });
  const z = opts.strategy.noiseMultiplier;
  const delta = opts.strategy.dpDelta ?? DEFAULT_DP_DELTA;
  return {
    taskId,
    network: connection.networkName,
    clients: opts.clients,
    rounds,
    strategy: opts.strategy,
    rules,
    partition: { scheme: opts.partition, alpha: opts.alpha, seed, sizes: shares.map((s) => s.rows) },
    centralized: evaluate(pooled, test),
    privacy: z === undefined ? null : { epsilon: gaussianEpsilon(z, delta, opts.rounds), delta },
    rewards: { pool: status.rewardPool, claimed },
    finalModelRoot: status.globalRoot,
  };
}

/** Re-reads what the round put on-chain from storage and checks every hash against it. */
async function verifyRound(
  flai: FlaiRuntime,
  agg: { globalRoot: string; globalHash: string; accepted: Array<{ updateRoot: string; updateHash: string }> },
): Promise<boolean> {
  if (sha256(await flai.storage.read(agg.globalRoot)) !== agg.globalHash) {
    return false;
  }
  for (const u of agg.accepted) {
    if (sha256(await flai.storage.read(u.updateRoot)) !== u.updateHash.toLowerCase()) {
      return false;
    }
  }
  return true;
}

export function datasetJson(ds: Dataset): string {
  const features: number[][] = [];
  for (let i = 0; i < ds.rows; i++) features.push(Array.from(ds.features.subarray(i * ds.cols, (i + 1) * ds.cols)));
  return JSON.stringify({ features, labels: Array.from(ds.labels) });
}
