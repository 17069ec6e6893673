import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/types";
import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { useConnection, type FlaiConnection } from "../chain/connection.js";
import { flaiError } from "../errors.js";
import type { ConnectionOption } from "../chain/connection.js";
import type { Dataset } from "../ml/dataset.js";
import { LOGISTIC_DEFAULTS } from "../ml/logistic.js";
import { canonicalJson } from "../ml/model.js";
import type { StorageBackend } from "../storage/types.js";

import type { FlaiFederated } from "./client.js";
import { evaluateClassifier } from "./evaluate.js";
import { roundRules, type ModelFormat } from "./global-model.js";
import { partitionDataset } from "./partition.js";
import { describeProtection, protectionOf, type RoundRules } from "./round-rules.js";
import { simulationClients } from "./simulation-accounts.js";
import {
  aloneReferences,
  centralizedReference,
  evaluationBytes,
  labelCounts,
  linearModelOf,
  loadSimulationData,
  majorityOf,
  trainingStandardization,
} from "./simulation-data.js";
import type { RoundPrivacy, SimulatedRound, SimulationResult } from "./simulation-types.js";
import type { StrategyConfig } from "./strategies.js";
import { sha256Hex } from "../util/sha256.js";

export { datasetJson } from "./simulation-data.js";

export interface SimulationOptions extends ConnectionOption {
  /** One dataset (file or parsed) split among N clients (minus a holdout when no `test` is given). */
  data: string | Dataset;
  /** An external test set (file or parsed); every model is scored on it instead of a holdout of `data`. */
  test?: string | Dataset;
  clients: number;
  rounds: number;
  partition: "iid" | "dirichlet";
  alpha?: number;
  seed?: number;
  strategy: StrategyConfig;
  /** The task's round rules; unset ones get their defaults (round-rules.ts). */
  rules?: Partial<RoundRules>;
  /** L-BFGS iterations per client per round (the task's default when unset). */
  maxIterations?: number;
  /** FedProx's proximal μ (createTask's local.proximalMu). */
  proximalMu?: number;
  /** false turns the task's default drift correction off (--no-drift-correction). */
  driftCorrection?: false;
  /** The task's global model format (createTask's default by size when unset). */
  modelFormat?: ModelFormat;
  holdoutFraction?: number;
  reward: string;
  /** Store the task's models in plaintext (`fl-run --public`); default private, every client admitted at creation. */
  public?: boolean;
  onProgress?: (message: string) => void;
}

/** What a simulation uses of `hre.flai` (which fits as is): storage, and the federated part. */
export interface SimulationParts {
  readonly storage: StorageBackend;
  readonly federated: FlaiFederated;
}

/**
 * A whole federated run on one machine: every client is its own account running the same client
 * code a remote client runs (`federated.runClient`), against the same chain and storage. Every round's
 * published model is read back from storage, checked against its on-chain hash, and scored on the
 * test set here, next to a centralized model, the majority-class baseline and each client alone.
 */
export async function runSimulation(
  hre: HardhatRuntimeEnvironment,
  flai: SimulationParts,
  opts: SimulationOptions,
): Promise<SimulationResult> {
  const seed = opts.seed ?? 1;
  const say = opts.onProgress ?? (() => {});
  const connection = await useConnection(hre, opts.connection);
  if (!Number.isInteger(opts.clients) || opts.clients < 1) {
    throw flaiError(`--clients must be a whole number ≥ 1, got ${opts.clients}.`);
  }
  const clients = await simulationClients(connection, opts.clients);
  const { train, test, info } = await loadSimulationData({ data: opts.data, test: opts.test, holdoutFraction: opts.holdoutFraction, seed });
  // Label skew is the point of a non-IID split: clients may hold one class (they train it
  // warm-started from the global model), so the split is not repaired into every-class shares.
  const shares = partitionDataset(train, opts.clients, { scheme: opts.partition, alpha: opts.alpha, seed, allowOneClass: true });
  const standardization = LOGISTIC_DEFAULTS.standardize ? trainingStandardization(train) : null;

  if (opts.public !== true) {
    // Every client's reader key is on-chain before the task is created, so the creator admits them all at once.
    say(`registering ${clients.length} clients' reader keys`);
    await inPool(clients.length, CLIENT_CONCURRENCY, (i) => flai.federated.registerReaderKey({ signer: clients[i], connection }));
  }
  const taskId = await createSimulationTask(flai, opts, { train, test, standardization, clients }, connection, say);
  const initial = await flai.federated.globalModel(taskId, { connection });
  const rules = roundRules(initial);

  const rounds: SimulatedRound[] = [];
  for (let round = 1; round <= opts.rounds; round++) {
    rounds.push(await simulateRound(flai, { taskId, round, clients, shares, test, rules, connection, say, opts, previous: rounds.at(-1) }));
  }

  say("claiming rewards");
  const claimed = await claimRewards(flai, taskId, clients, connection);

  say("training the centralized and per-client references");
  const status = await flai.federated.task(taskId, { connection });
  const last = rounds.at(-1)?.dp ?? null;
  return {
    taskId,
    network: connection.networkName,
    clients: opts.clients,
    clientAddresses: clients.map((c) => c.address),
    rounds,
    strategy: opts.strategy,
    rules,
    driftCorrection: initial.federated.local.driftCorrection ?? null,
    classes: train.classes.map(String),
    partition: { scheme: opts.partition, alpha: opts.alpha, seed, sizes: shares.map((s) => s.rows), labelCounts: shares.map(labelCounts) },
    test: info,
    baseline: majorityOf(train, test),
    centralized: centralizedReference(train, test, standardization),
    alone: aloneReferences(shares, test, standardization),
    privacy: last === null ? null : { epsilon: last.epsilonTotal, delta: last.delta, accountant: last.accountant },
    rewards: { pool: status.rewardPool, claimed },
    finalModelRoot: status.globalRoot,
  };
}

/** The simulation's task: its model spec uploaded, created with its evaluation set and the run's options. */
async function createSimulationTask(
  flai: SimulationParts,
  opts: SimulationOptions,
  data: {
    train: Dataset;
    test: Dataset;
    standardization: ReturnType<typeof trainingStandardization> | null;
    clients: readonly HardhatEthersSigner[];
  },
  connection: FlaiConnection,
  say: (message: string) => void,
): Promise<bigint> {
  const { train, test, standardization } = data;
  const binary = train.classes.length === 2 && train.classes[0] === 0 && train.classes[1] === 1;
  const spec = {
    format: "flai-model/v1",
    algorithm: "logistic-regression",
    features: train.cols,
    hyperparameters: { ...LOGISTIC_DEFAULTS },
    ...(binary ? {} : { classes: train.classes }),
    ...(standardization ? { standardization } : {}),
  };
  const specRoot = await flai.storage.upload(new TextEncoder().encode(canonicalJson(spec)));
  // By bytes, not by an uploaded root: a private task's test set must never be stored in plaintext.
  const evaluation = evaluationBytes(test);
  say(`creating task: ${opts.clients} clients × ${opts.rounds} rounds, ${opts.strategy.name}, ${opts.partition} split`);
  const created = await flai.federated.createTask({
    model: specRoot.root,
    evaluation,
    rounds: opts.rounds,
    quorum: opts.clients,
    reward: opts.reward,
    strategy: opts.strategy,
    rules: opts.rules,
    modelFormat: opts.modelFormat,
    // The creator of a simulation knows the federation's total, so round 1 already trains with C·N/n_k.
    local: {
      maxIterations: opts.maxIterations,
      proximalMu: opts.proximalMu,
      expectedNumExamples: train.rows,
      driftCorrection: opts.driftCorrection,
    },
    public: opts.public,
    clients: opts.public === true ? [] : data.clients.map((c) => c.address),
    connection,
  });
  return created.task.id;
}

/** One simulated round's inputs: who trains on what, and the run it belongs to. */
interface RoundSetup {
  taskId: bigint;
  round: number;
  clients: readonly HardhatEthersSigner[];
  shares: readonly Dataset[];
  test: Dataset;
  rules: RoundRules;
  connection: FlaiConnection;
  say: (message: string) => void;
  opts: SimulationOptions;
  /** The round before (for the privacy spent so far). */
  previous: SimulatedRound | undefined;
}

/**
 * One round: every client trains and submits, the enclave aggregates, and the published model and
 * updates are read back and checked against their on-chain hashes, then scored on the test set.
 */
async function simulateRound(flai: SimulationParts, s: RoundSetup): Promise<SimulatedRound> {
  const { taskId, round, clients, connection, say, opts } = s;
  const timings = { train: 0, encrypt: 0, upload: 0, chain: 0, aggregate: 0 };
  const updates = await inPool(clients.length, CLIENT_CONCURRENCY, (i) => {
    say(`round ${round}/${opts.rounds}: client ${i + 1}/${clients.length} training`);
    return flai.federated.runClient({ taskId, data: s.shares[i]!, signer: clients[i], connection });
  });
  for (const r of updates) for (const k of ["train", "encrypt", "upload", "chain"] as const) timings[k] += r.timings[k];
  const recordGas = updates.map((r) => r.gasUsed);
  say(`round ${round}/${opts.rounds}: aggregating in the enclave`);
  const agg = await flai.federated.aggregate({ taskId, connection });
  timings.aggregate = agg.timings.fetch + agg.timings.aggregate + agg.timings.upload + agg.timings.chain;
  const [published, updatesVerified] = await Promise.all([readPublished(flai, agg, connection), verifyUpdates(flai, agg)]);
  return {
    round,
    metrics: evaluateClassifier(linearModelOf(published.model), s.test),
    globalRoot: agg.globalRoot,
    globalHash: agg.globalHash,
    reportRoot: agg.reportRoot,
    commitment: agg.commitment,
    accepted: agg.accepted,
    rejected: agg.rejected,
    dp: roundPrivacy(agg.metrics.dp, s.previous?.dp ?? null),
    protection: describeProtection(protectionOf(agg.accepted.length, agg.metrics.dp?.epsilon ?? 0, s.rules, opts.strategy)),
    gas: { recordUpdate: recordGas, finalizeRound: agg.gasUsed },
    timings,
    verified: published.verified && updatesVerified,
  };
}

/**
 * How many clients of a round work at once. Each is its own account (own nonces), and the enclave
 * combines updates in client-address order, not record order, so overlapping them changes no result;
 * it overlaps one client's waits (chain, storage fsync) with another's training and sealing.
 */
const CLIENT_CONCURRENCY = 4;

/** work(0..count-1) with at most `limit` running at once; results in index order. */
async function inPool<T>(count: number, limit: number, work: (index: number) => Promise<T>): Promise<T[]> {
  const results = new Array<T>(count);
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const i = next++;
      results[i] = await work(i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, count) }, worker));
  return results;
}

/**
 * Every client claims what it is owed with claimAll (one read of the task's rounds per client, not
 * one per claim). Clients claim concurrently, each account's transactions still in nonce order:
 * claims move no model and each pays a fixed share, so their order changes nothing in the result.
 */
async function claimRewards(
  flai: SimulationParts,
  taskId: bigint,
  clients: readonly HardhatEthersSigner[],
  connection: FlaiConnection,
): Promise<bigint> {
  const all = await Promise.all(clients.map((signer) => flai.federated.claimAll({ taskId, signer, connection })));
  return all.flatMap((a) => a.claimed).reduce((sum, c) => sum + c.amount, 0n);
}

/**
 * The round's ε as the enclave accounted it. A global model from before the accountant carried
 * epsilonTotal gets the plain sum of rounds as its total (an upper bound under composition).
 */
function roundPrivacy(
  dp: { epsilon: number; delta: number; epsilonTotal?: number; accountant?: string } | null,
  previous: RoundPrivacy | null,
): RoundPrivacy | null {
  if (dp === null) return null;
  return {
    epsilon: dp.epsilon,
    epsilonTotal: dp.epsilonTotal ?? dp.epsilon + (previous?.epsilonTotal ?? 0),
    delta: dp.delta,
    accountant: dp.accountant ?? "sum",
  };
}

/**
 * The published global model, read back from storage by the creator (opened with the task key when
 * private) and checked against the hash on-chain.
 */
async function readPublished(
  flai: SimulationParts,
  agg: { taskId: bigint; round: number; globalRoot: string },
  connection: FlaiConnection,
) {
  const read = await flai.federated.readGlobalModel(agg.taskId, { round: agg.round, connection });
  return {
    model: read.model,
    verified: read.root.toLowerCase() === agg.globalRoot.toLowerCase() && sha256Hex(read.bytes) === read.hash.toLowerCase(),
  };
}

/** How many updates are read at once when checking them: overlaps the reads, bounds the memory (D = 1e6 is 8 MB each). */
const VERIFY_CONCURRENCY = 8;

/** Re-reads every accepted update from storage and checks its hash against the one recorded on-chain. */
async function verifyUpdates(
  flai: SimulationParts,
  agg: { accepted: Array<{ updateRoot: string; updateHash: string }> },
): Promise<boolean> {
  for (let i = 0; i < agg.accepted.length; i += VERIFY_CONCURRENCY) {
    const batch = agg.accepted.slice(i, i + VERIFY_CONCURRENCY);
    const matches = await Promise.all(
      batch.map(async (u) => sha256Hex(await flai.storage.read(u.updateRoot)) === u.updateHash.toLowerCase()),
    );
    if (!matches.every(Boolean)) return false;
  }
  return true;
}
