import { createHash, createHmac } from "node:crypto";

import { Wallet, getAddress } from "ethers";

import { parseDataset } from "../ml/dataset.js";
import { canonicalJson } from "../ml/model.js";
import { computeRoot } from "../storage/merkle.js";
import { unsealSecrets } from "../tee/identity.js";

import { buildCommitment } from "./commitment.js";
import { signRoundResult, type RoundResult } from "./eip712.js";
import { openUpdateParts } from "./envelope.js";
import { evaluate } from "./evaluate.js";
import { globalModelBytes, parseGlobalModel, type GlobalModel } from "./global-model.js";
import { encodeMetricsWord } from "./metrics-word.js";
import { aggregate, FEDAVG_PARALLEL_MIN, type WeightedDelta } from "./strategies.js";
import { decodeUpdate, validateUpdate } from "./update.js";

/** One update as recorded on-chain, with its ciphertext if storage returned it (root-verified). */
export interface RecordedUpdate {
  client: string;
  updateRoot: string;
  updateHash: string;
  sampleCount: number;
  ciphertext: Uint8Array | null;
  fetchError?: string;
}

export interface AggregateRequest {
  enclaveDir: string;
  binding: { chainId: string; contract: string; taskId: string; round: number };
  globalModel: Uint8Array;
  globalHash: string;
  evaluation: Uint8Array;
  updates: RecordedUpdate[];
}

export interface Decision {
  client: string;
  updateRoot: string;
  updateHash: string;
  weight: number;
  reason?: string;
}

export interface AggregateResponse {
  globalModel: Uint8Array;
  report: Uint8Array;
  result: Omit<RoundResult, "acceptedWeight"> & { acceptedWeight: string };
  signature: string;
  signer: string;
  accepted: Decision[];
  rejected: Decision[];
}

const sha256 = (bytes: Uint8Array) => "0x" + createHash("sha256").update(bytes).digest("hex");

/**
 * The enclave's round: check every recorded update against its on-chain hash, decrypt, validate,
 * reject with a reason (never drop silently), aggregate the rest, evaluate, commit, sign.
 */
export async function runAggregation(req: AggregateRequest): Promise<AggregateResponse> {
  if (sha256(req.globalModel) !== req.globalHash) {
    throw new Error(`the global model does not hash to the on-chain ${req.globalHash}`);
  }
  const current = parseGlobalModel(req.globalModel, `global model ${req.globalHash}`);
  const { federated } = current;
  if (computeRoot(req.evaluation) !== federated.evaluationRoot) {
    throw new Error(`the evaluation set does not have the committed root ${federated.evaluationRoot}`);
  }
  const evaluation = parseDataset(req.evaluation, `evaluation set ${federated.evaluationRoot}`);
  const { signingKey, encryptionSecret } = await unsealSecrets(req.enclaveDir);
  const dimension = current.features + 1;
  const binding = {
    chainId: BigInt(req.binding.chainId),
    contract: req.binding.contract,
    taskId: BigInt(req.binding.taskId),
    round: req.binding.round,
  };

  const accepted: Decision[] = [];
  const rejected: Decision[] = [];
  const deltas: WeightedDelta[] = [];
  // Large rounds decode into shared memory so the FedAvg sum can use worker threads (strategies.ts).
  const shared = req.updates.length * dimension >= FEDAVG_PARALLEL_MIN;
  const sorted = [...req.updates].sort((a, b) => (BigInt(a.client) < BigInt(b.client) ? -1 : 1));
  for (const u of sorted) {
    const decision: Decision = { client: getAddress(u.client), updateRoot: u.updateRoot, updateHash: u.updateHash, weight: u.sampleCount };
    try {
      if (u.ciphertext === null) {
        throw new Error(`not retrievable from storage (${u.fetchError ?? "unknown reason"})`);
      }
      if (sha256(u.ciphertext) !== u.updateHash.toLowerCase()) {
        throw new Error("the ciphertext does not match the hash recorded on-chain");
      }
      const plain = openUpdateParts(u.ciphertext, encryptionSecret, { ...binding, client: u.client });
      const update = decodeUpdate(plain, `update from ${decision.client}`, { shared });
      validateUpdate(update, dimension, `update from ${decision.client}`);
      if (update.baseModelHash !== req.globalHash) {
        throw new Error(`trained from global model ${update.baseModelHash}, not this round's ${req.globalHash} (out of round)`);
      }
      if (update.sampleCount !== u.sampleCount) {
        throw new Error(`claims ${update.sampleCount} samples but recorded ${u.sampleCount} on-chain`);
      }
      deltas.push({ delta: update.delta, weight: update.sampleCount });
      accepted.push(decision);
    } catch (error) {
      rejected.push({ ...decision, reason: (error as Error).message });
    }
  }
  if (deltas.length === 0) {
    throw new Error(`no update of round ${req.binding.round} is acceptable: ${rejected.map((r) => `${r.client}: ${r.reason}`).join("; ")}`);
  }

  // A secret but reproducible noise key: only this enclave can derive it, and it can again.
  const seed = createHmac("sha256", Buffer.from(signingKey.slice(2), "hex")).update(canonicalJson(req.binding)).digest();
  const { delta, dp } = aggregate(deltas, federated.strategy, seed);
  const weights = current.weights.map((w, j) => w + delta[j]!);
  const bias = current.bias + delta[current.features]!;
  const quality = evaluate({ weights, bias, standardization: current.standardization }, evaluation);
  const samples = accepted.reduce((s, a) => s + a.weight, 0);
  const next: GlobalModel = {
    ...current,
    weights,
    bias,
    round: req.binding.round,
    previousHash: req.globalHash,
    metrics: { ...quality, accepted: accepted.length, rejected: rejected.length, samples, dp },
  };
  const modelBytes = globalModelBytes(next);
  const commitment = buildCommitment(accepted.map((a) => ({ client: a.client, updateHash: a.updateHash, weight: BigInt(a.weight) })));
  const report = new TextEncoder().encode(
    canonicalJson({
      format: "flai-round-report/v1",
      ...req.binding,
      previousHash: req.globalHash,
      globalHash: sha256(modelBytes),
      globalRoot: computeRoot(modelBytes),
      commitment: commitment.root,
      accepted: commitment.leaves.map((l, i) => ({ ...accepted[i], weight: Number(l.weight), cumulativeWeightBefore: Number(l.cumulativeWeightBefore) })),
      rejected,
      metrics: next.metrics,
      strategy: federated.strategy,
    }) + "\n",
  );
  const result: RoundResult = {
    globalRoot: computeRoot(modelBytes),
    globalHash: sha256(modelBytes),
    commitment: commitment.root,
    acceptedWeight: commitment.totalWeight,
    acceptedCount: accepted.length,
    rejectedCount: rejected.length,
    reportRoot: computeRoot(report),
    metrics: encodeMetricsWord(next.metrics!),
  };
  return {
    globalModel: modelBytes,
    report,
    result: { ...result, acceptedWeight: result.acceptedWeight.toString() },
    signature: signRoundResult(signingKey, binding, result),
    signer: new Wallet(signingKey).address,
    accepted,
    rejected,
  };
}
