import { createHash } from "node:crypto";

import { getAddress } from "ethers";

import { updatesAccumulator } from "../../src/federated/accumulator.js";
import type { AggregateRequest } from "../../src/federated/aggregator.js";
import { sealUpdate } from "../../src/federated/envelope.js";
import { globalModelBytes, taskNonce, type GlobalModel } from "../../src/federated/global-model.js";
import { resolveRules, type RoundRules } from "../../src/federated/round-rules.js";
import { datasetJson } from "../../src/federated/simulation-data.js";
import type { StrategyConfig } from "../../src/federated/strategies.js";
import { encodeUpdate } from "../../src/federated/update.js";
import { computeRoot } from "../../src/storage/merkle.js";
import { sealTaskEvaluation, sealTaskModel } from "../../src/federated/task-models.js";
import { buildKeyring, serializeKeyring } from "../../src/privacy/keyring.js";
import { readerKeyFromAccountKey } from "../../src/privacy/reader-key.js";
import { loadOrCreateIdentity, type EnclaveIdentity } from "../../src/tee/identity.js";
import { mulberry32 } from "../../src/util/prng.js";

import { tempDir } from "./project.js";

const FEATURES = 12;
const CONTRACT = getAddress("0x" + "c1".repeat(20));
const sha256 = (b: Uint8Array) => "0x" + createHash("sha256").update(b).digest("hex");

/** An evaluation set's stored bytes: `rows` random rows of `features` in [-1, 1), labels alternating 0, 1. */
export function evaluationBytes(seed: number, rows: number, features: number): Uint8Array {
  const rand = mulberry32(seed);
  return new TextEncoder().encode(
    datasetJson({
      rows,
      cols: features,
      features: Float64Array.from({ length: rows * features }, () => rand() * 2 - 1),
      labels: Uint8Array.from({ length: rows }, (_, i) => i % 2),
      classes: [0, 1],
    }),
  );
}

/** A new task's initial global model (its own nonce): all-zero weights, evaluated on `evaluation`. */
export function zeroModel(
  features: number,
  evaluation: Uint8Array,
  strategy: StrategyConfig,
  rules: Partial<RoundRules> = {},
): GlobalModel {
  return {
    format: "flai-global-model/v1",
    algorithm: "logistic-regression",
    features,
    weights: new Array<number>(features).fill(0),
    bias: 0,
    standardization: null,
    round: 0,
    federated: {
      strategy,
      local: { maxIterations: 1, c: 1, mu: 0 },
      evaluationRoot: computeRoot(evaluation),
      rules: resolveRules(rules, strategy),
      nonce: taskNonce(),
    },
    previousHash: null,
    metrics: null,
  };
}

export interface AggregateRequestOptions {
  /** How many clients' updates the round records (default 3). */
  clients?: number;
  /**
   * A private task (issue 17): its initial model sealed with `taskKey`, a keyring wrapping it to the
   * enclave, and its evaluation set as `evaluation` stores it (default: sealed with `taskKey` too).
   */
  sealed?: { taskKey: Uint8Array };
  /** The evaluation set as stored (its root is the one the model commits); default: plaintext, or sealed when `sealed`. */
  storeEvaluation?: (plaintext: Uint8Array) => Uint8Array;
  /** The round client i's update is sealed for (default 1: every update opens for round 1). */
  sealedFor?: (i: number) => number;
}

/**
 * Round 1 of a fresh task (its own enclave folder) with honest updates, as a host sends it to the
 * aggregation enclave. Each call of the returned function gives a fresh request whose byte arrays
 * each own their ArrayBuffer (as StorageBackend.read returns them, and as each worker gets its own clone).
 */
export async function aggregateRequest(opts: AggregateRequestOptions = {}): Promise<() => AggregateRequest> {
  const { clients = 3, sealedFor = () => 1, sealed } = opts;
  const enclaveDir = await tempDir("flai-request-enclave-");
  const identity = await loadOrCreateIdentity(enclaveDir);
  const rand = mulberry32(7);
  const ctx = { chainId: 31337n, contract: CONTRACT, taskId: 1n };
  const storeEvaluation =
    opts.storeEvaluation ?? (sealed === undefined ? (b: Uint8Array) => b : (b: Uint8Array) => sealTaskEvaluation(b, sealed.taskKey, ctx));
  const evaluation = storeEvaluation(evaluationBytes(8, 20, FEATURES));
  const model = zeroModel(FEATURES, evaluation, { name: "fedavg" });
  // A private task's model says so inside its hash (createTask does the same).
  if (sealed !== undefined) model.federated.sealed = true;
  const bytes = globalModelBytes(model);
  const globalHash = sha256(bytes);
  const stored = sealed === undefined ? bytes : sealTaskModel(bytes, sealed.taskKey, ctx, 0);
  const keyrings = sealed === undefined ? undefined : [enclaveKeyring(sealed.taskKey, identity)];
  const recorded = Array.from({ length: clients }, (_, i) => {
    const client = getAddress("0x" + (0x3000 + i).toString(16).padStart(40, "0"));
    const delta = Float64Array.from({ length: FEATURES + 1 }, () => 0.01 * (rand() - 0.5));
    const plain = encodeUpdate({ delta, numExamples: 10 + i, metrics: { loss: 0.5, accuracy: 0.5 }, baseModelHash: globalHash });
    const ciphertext = sealUpdate(plain, identity.encryptionKey, {
      chainId: 31337n,
      contract: CONTRACT,
      taskId: 1n,
      round: sealedFor(i),
      client,
    });
    return { client, updateRoot: computeRoot(ciphertext), updateHash: sha256(ciphertext), numExamples: 10 + i, ciphertext };
  });
  const accumulator = updatesAccumulator(1n, 1, recorded);
  return () => ({
    enclaveDir,
    binding: { chainId: "31337", contract: CONTRACT, taskId: "1", round: 1 },
    globalModel: new Uint8Array(stored),
    globalHash,
    ...(keyrings === undefined ? {} : { keyrings: keyrings.map((k) => new Uint8Array(k)) }),
    updatesAccumulator: accumulator,
    updateCount: recorded.length,
    evaluation: new Uint8Array(evaluation),
    updates: recorded.map((u) => ({ ...u, ciphertext: new Uint8Array(u.ciphertext) })),
  });
}

/** A keyring of task 1 (the helper's contract) wrapping `taskKey` to the enclave, from a fixed creator account. */
function enclaveKeyring(taskKey: Uint8Array, enclave: EnclaveIdentity): Uint8Array {
  const creator = readerKeyFromAccountKey("0x" + "5a".repeat(32));
  return serializeKeyring(
    buildKeyring({
      chainId: 31337n,
      contract: CONTRACT,
      taskId: 1n,
      creator: { address: getAddress("0x" + "5a".repeat(20)), ...creator },
      taskKey,
      readers: [{ address: enclave.signer, readerKey: enclave.encryptionKey }],
    }),
  );
}
