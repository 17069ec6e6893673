import { createHmac } from "node:crypto";

import { getAddress } from "ethers/address";
import { computeAddress } from "ethers/transaction";
import { getBytes } from "ethers/utils";

import { flaiError } from "../errors.js";
import { canonicalJson } from "../ml/model.js";
import { computeRoot, fastRootsReady } from "../storage/merkle.js";
import { unsealSecrets } from "../tee/identity.js";
import { cachedParse, parseVerified } from "../tee/verified-cache.js";

import { buildCommitment } from "./commitment.js";
import { signRoundResult, type RoundResult } from "./eip712.js";
import { openUpdateParts } from "./envelope.js";
import { evaluate } from "./evaluate.js";
import { globalModelBytes, linearModel, parameterCount, parseGlobalModel, roundRules, type GlobalModel } from "./global-model.js";
import { checkTaskData, taskDatasetOptions } from "./classes.js";
import { checkRoundInputs, inputRefusalTag } from "./input-checks.js";
import { encodeMetricsWord } from "./metrics-word.js";
import { parseDataset, type Dataset } from "../ml/dataset.js";
import { checkAs, refusalTag, UpdateRejected, type RejectionCode } from "./rejections.js";
import { commitRoundInputs, roundInputHash } from "./round-record.js";
import { ROUND_REPORT_FORMAT, roundReportBytes, type Decision, type ReportedRejected } from "./round-report.js";
import { describeProtection, type RoundProtection, type RoundRules } from "./round-rules.js";
import { combineRound } from "./round-aggregate.js";
import { FEDAVG_PARALLEL_MIN, l2Norm, MIN_ROBUST_UPDATES, type StrategyConfig } from "./strategies.js";
import { decodeUpdate, validateUpdate } from "./update.js";
import { rewardWeights } from "./weights.js";
import { sha256Hex } from "../util/sha256.js";
import { x25519Public } from "../privacy/reader-key.js";

import { openPreviousModel, openTaskEvaluation, sealTaskModel, type TaskContext } from "./task-models.js";

/** One update as recorded on-chain, with its ciphertext if storage returned it (root-verified). */
export interface RecordedUpdate {
  client: string;
  updateRoot: string;
  updateHash: string;
  numExamples: number;
  ciphertext: Uint8Array | null;
  fetchError?: string;
}

export interface AggregateRequest {
  enclaveDir: string;
  binding: { chainId: string; contract: string; taskId: string; round: number };
  /** The previous global model as stored: plaintext (public task) or sealed with the task key (private). */
  globalModel: Uint8Array;
  /** The task's on-chain global model hash: the model's plaintext must hash to it. */
  globalHash: string;
  /**
   * A private task's keyrings (their stored bytes, every KeyringPublished of the task): host-claimed,
   * the enclave takes K from its own entry only if K opens the previous model (task-models.ts).
   */
  keyrings?: Uint8Array[];
  /** The round's on-chain accumulator: `updates`, in record order, must rebuild it (accumulator.ts). */
  updatesAccumulator: string;
  /** The round's on-chain update count. */
  updateCount: number;
  /**
   * The task's evaluation set as stored (a private task's sealed with the task key: opened with the
   * key that opened the previous model), or null to use the one this enclave worker already verified
   * against the committed root (kept by root: verified-cache.ts). A worker that has none refuses a null with
   * the code EVALUATION_NEEDED (on the error, run-worker.ts refusalCodeOf); the host then sends the bytes.
   */
  evaluation: Uint8Array | null;
  /** Every recorded update of the round, in record order. */
  updates: RecordedUpdate[];
}

export type { Decision } from "./round-report.js";

export interface AggregateResponse {
  /** The new global model as it is to be stored: sealed with the task key for a private task (globalRoot is its root). */
  globalModel: Uint8Array;
  report: Uint8Array;
  result: Omit<RoundResult, "acceptedWeight"> & { acceptedWeight: string };
  signature: string;
  signer: string;
  accepted: Decision[];
  rejected: Decision[];
}

export interface AggregationOptions {
  /**
   * The request is this call's own (the enclave worker's copy of what the host sent): its large
   * inputs are dropped as soon as they are used — the evaluation set's bytes once parsed, each
   * ciphertext once opened — so the round's decoded updates never sit next to all the bytes they
   * came from (at D = 1e6, 24 evaluation rows and 4 updates: ~125 MB less at the worker's peak;
   * bench/e2e/memory.ts). The caller must not read those fields afterwards.
   */
  consume?: boolean;
}

/**
 * The enclave's round: check every recorded update against its on-chain hash, decrypt, validate,
 * reject with a reason (never drop silently), aggregate the rest, evaluate, commit, sign.
 */
export async function runAggregation(req: AggregateRequest, opts: AggregationOptions = {}): Promise<AggregateResponse> {
  const { signingKey, encryptionSecret } = await unsealSecrets(req.enclaveDir);
  const binding = {
    chainId: BigInt(req.binding.chainId),
    contract: req.binding.contract,
    taskId: BigInt(req.binding.taskId),
    round: req.binding.round,
  };
  // A private task's model is opened with the task key from this enclave's own keyring entry (refused
  // unless that key opens it); the plaintext is then checked like a public task's bytes.
  const me = { address: computeAddress(signingKey), secret: getBytes(encryptionSecret), publicKey: "" };
  me.publicKey = x25519Public(me.secret);
  const previous = openPreviousModel(req.globalModel, req.keyrings, me, binding, binding.round);
  // The result is bound to what the chain says the round's inputs are; refuse any other inputs.
  const inputs = checkRoundInputs({ ...req, taskId: binding.taskId, round: binding.round }, previous.plaintext, req.updates);
  const current = parseGlobalModel(previous.plaintext, `global model ${req.globalHash}`);
  refuseClearPrivateModel(current, previous.taskKey, binding);
  const { federated } = current;
  await fastRootsReady();
  const evaluation = verifiedEvaluation(req.evaluation, current, { taskKey: previous.taskKey, ctx: binding });
  if (opts.consume === true) req.evaluation = null;
  const dimension = parameterCount(current);

  const rules = roundRules(current);
  const shared = req.updates.length * dimension >= FEDAVG_PARALLEL_MIN;
  const screened = screenUpdates(req, {
    ...binding,
    encryptionSecret,
    dimension,
    outputs: dimension / (current.features + 1),
    shared,
    rules,
    driftCorrection: federated.local.driftCorrection !== undefined,
    consume: opts.consume === true,
  });
  const { accepted, rejected } = screened;
  checkPublishable(accepted.length, rejected, rules, federated.strategy, req.binding.round);

  // One result per round: committed before any of it is computed, so no second set can follow.
  const inputHash = roundInputHash(
    req.updates,
    accepted.map((a) => a.client),
  );
  await commitRoundInputs(
    req.enclaveDir,
    { ...req.binding, previousHash: req.globalHash },
    { inputHash, accepted: accepted.map((a) => a.client), recorded: req.updates.length },
  );

  const combined = combineAccepted(req, current, screened, evaluation, noiseKey(signingKey, req.binding, req.globalHash, inputHash));
  return publishRound(req, { inputs, binding, signingKey, taskKey: previous.taskKey }, current, screened, combined);
}

/** What screenUpdates found: the accepted updates (with their deltas and gradients, in the same order) and the rejected ones. */
interface Screened {
  accepted: Decision[];
  rejected: ReportedRejected[];
  deltas: Float64Array[];
  gradients: (Float64Array | undefined)[];
}

/** The round's new global model and how it was combined. */
interface Combined {
  next: GlobalModel;
  capping: ReturnType<typeof combineRound>["capping"];
  protection: RoundProtection;
}

/**
 * The new global model from the accepted updates (by the task's strategy, with its DP noise keyed
 * by `noise`), evaluated on the task's evaluation set. Marks each accepted update's aggregation
 * weight and whether it was capped.
 */
function combineAccepted(
  req: AggregateRequest,
  current: GlobalModel,
  { accepted, rejected, deltas, gradients }: Screened,
  evaluation: ReturnType<typeof verifiedEvaluation>,
  noise: Uint8Array,
): Combined {
  const strategy = current.federated.strategy;
  const rules = roundRules(current);
  const { weights, bias, capping, numExamples, dp, correction } = combineRound(
    current,
    deltas.map((delta, k) => ({ delta, numExamples: accepted[k]!.numExamples, gradient: gradients[k] })),
    req.binding.round,
    noise,
  );
  const weighted = (strategy.name === "fedavg" || strategy.name === "fedprox") && strategy.noiseMultiplier === undefined;
  accepted.forEach((a, k) => {
    if (weighted) a.aggregationWeight = capping.weights[k]!;
    a.capped = capping.weights[k]! < a.numExamples;
  });
  const quality = evaluate(linearModel({ ...current, weights, bias }), evaluation);
  const totalNumExamples = accepted.reduce((s, a) => s + a.numExamples, 0);
  const protection: RoundProtection = {
    accepted: accepted.length,
    minAccepted: rules.minAccepted,
    dp: dp && { epsilon: dp.epsilon, epsilonTotal: dp.epsilonTotal, delta: dp.delta },
  };
  const { correction: _previous, ...carried } = current;
  const next: GlobalModel = {
    ...carried,
    weights,
    bias,
    // Only drift-corrected tasks get the key, so every other task's model bytes stay as they were.
    ...(correction !== null ? { correction: Array.from(correction) } : {}),
    round: req.binding.round,
    previousHash: req.globalHash,
    metrics: {
      ...quality,
      accepted: accepted.length,
      rejected: rejected.length,
      totalNumExamples,
      numExamples,
      dp,
      minAccepted: rules.minAccepted,
    },
  };
  return { next, capping, protection };
}

/** What the enclave signs with, and what it signs over (the round's checked inputs and binding). */
interface Signing {
  inputs: ReturnType<typeof checkRoundInputs>;
  binding: Parameters<typeof signRoundResult>[1];
  signingKey: string;
  /** A private task's key: the new model is stored sealed with it. null: public, stored in plaintext. */
  taskKey: Uint8Array | null;
}

/**
 * The round's published outputs: the new model's bytes, the reward commitment over the accepted
 * updates, the round report, and the signed RoundResult naming all of them by root and hash.
 */
function publishRound(
  req: AggregateRequest,
  { inputs, binding, signingKey, taskKey }: Signing,
  current: GlobalModel,
  screened: Screened,
  combined: Combined,
): AggregateResponse {
  const { accepted, rejected } = screened;
  const { next, capping, protection } = combined;
  const rules = roundRules(current);
  const modelBytes = globalModelBytes(next);
  // Each output is hashed once: the model's bytes are large, and the report and the result name both hashes.
  // On-chain: the hash of the plaintext (what a reader checks once it opens the model), the root of what is stored.
  const globalHash = sha256Hex(modelBytes);
  const stored = taskKey === null ? modelBytes : sealTaskModel(modelBytes, taskKey, binding, binding.round);
  const globalRoot = computeRoot(stored);
  const rewards = rewardWeights(capping.weights, rules.rewardRule);
  accepted.forEach((a, k) => (a.weight = Number(rewards[k]!)));
  const commitment = buildCommitment(accepted.map((a, k) => ({ client: a.client, updateHash: a.updateHash, weight: rewards[k]! })));
  const report = roundReportBytes({
    format: ROUND_REPORT_FORMAT,
    ...req.binding,
    previousHash: req.globalHash,
    globalHash,
    globalRoot,
    commitment: commitment.root,
    accepted: commitment.leaves.map((l, i) => ({
      ...accepted[i]!,
      weight: Number(l.weight),
      cumulativeWeightBefore: Number(l.cumulativeWeightBefore),
    })),
    rejected,
    metrics: next.metrics!,
    strategy: current.federated.strategy,
    rules,
    weightCap: capping.cap,
    protection: { ...protection, summary: describeProtection(protection) },
  });
  const result: RoundResult = {
    ...inputs,
    globalRoot,
    globalHash,
    commitment: commitment.root,
    acceptedWeight: commitment.totalWeight,
    acceptedCount: accepted.length,
    rejectedCount: rejected.length,
    reportRoot: computeRoot(report),
    metrics: encodeMetricsWord(next.metrics!),
  };
  return {
    globalModel: stored,
    report,
    result: { ...result, acceptedWeight: result.acceptedWeight.toString() },
    signature: signRoundResult(signingKey, binding, result),
    signer: computeAddress(signingKey),
    accepted,
    rejected,
  };
}

/** The code of a refused request whose evaluation set (null) this enclave worker does not hold. */
export const EVALUATION_NEEDED = "EVALUATION_NEEDED";

/**
 * The round's evaluation set, parsed as the task reads data, once its bytes have the root the global
 * model commits — and, when sealed (a private task), once they open with the task key `sealed.taskKey`
 * that opened the previous model (task-models.ts openTaskEvaluation). The parse is kept in this worker
 * by root and by a digest of that key (verified-cache.ts): a later request naming the same root under
 * another task's key cannot take a parse it could not have opened. Later rounds of the task pay a
 * memory compare instead of the keccak tree, the decryption and the JSON parse, or nothing when the
 * host sends null.
 */
function verifiedEvaluation(bytes: Uint8Array | null, model: GlobalModel, sealed: { taskKey: Uint8Array | null; ctx: TaskContext }) {
  const root = model.federated.evaluationRoot;
  const source = `evaluation set ${root}`;
  const options = taskDatasetOptions(model);
  // The key's digest stays in this worker's memory (the cache key); it is never output.
  const parseKey = JSON.stringify({ ...options, key: sealed.taskKey === null ? null : sha256Hex(sealed.taskKey) });
  if (bytes === null) {
    const held = cachedParse<Dataset>(root, parseKey);
    if (held === undefined) {
      const refusal = flaiError(`This enclave worker does not hold evaluation set ${root}; send its bytes with the request.`);
      // The root goes with the code: a private task's host cannot read it from the sealed model.
      throw Object.assign(refusal, { code: EVALUATION_NEEDED, detail: root });
    }
    return checkTaskData(held, model, source);
  }
  const parsed = parseVerified(
    root,
    bytes,
    parseKey,
    (b) => parseDataset(openTaskEvaluation(b, sealed.taskKey, sealed.ctx, root), source, options),
    () => new Error(`the evaluation set does not have the committed root ${root}`),
  );
  return checkTaskData(parsed, model, source);
}

interface ScreenContext {
  chainId: bigint;
  contract: string;
  taskId: bigint;
  round: number;
  encryptionSecret: string;
  dimension: number;
  /** Linear outputs of the model (1 for two classes), to name its shape in a rejection. */
  outputs: number;
  shared: boolean;
  rules: RoundRules;
  /** The task uses drift correction: every accepted update must carry a gradient. */
  driftCorrection: boolean;
  /** Drop each ciphertext once opened (AggregationOptions.consume). */
  consume: boolean;
}

/**
 * Every recorded update, by client address: accepted with its delta, or rejected with a code and a
 * reason (never dropped silently). A client's bytes can only get its own update rejected.
 */
function screenUpdates(req: AggregateRequest, ctx: ScreenContext): Screened {
  const accepted: Decision[] = [];
  const rejected: ReportedRejected[] = [];
  const deltas: Float64Array[] = [];
  const gradients: (Float64Array | undefined)[] = [];
  const sorted = [...req.updates].sort((a, b) => (BigInt(a.client) < BigInt(b.client) ? -1 : 1));
  for (const u of sorted) {
    const decision: Decision = {
      client: getAddress(u.client),
      updateRoot: u.updateRoot,
      updateHash: u.updateHash,
      numExamples: u.numExamples,
      weight: 0,
    };
    try {
      const update = screenUpdate(u, decision.client, req.globalHash, ctx);
      deltas.push(update.delta);
      gradients.push(update.gradient);
      accepted.push(decision);
    } catch (error) {
      if (!(error instanceof UpdateRejected)) throw error;
      rejected.push({ ...decision, code: error.code, reason: error.message });
    }
  }
  return { accepted, rejected, deltas, gradients };
}

/**
 * One update's checks, in order; returns its delta (and, for a drift-corrected task, its gradient)
 * or throws UpdateRejected. A gradient sent to a task without drift correction is ignored.
 */
function screenUpdate(
  u: RecordedUpdate,
  client: string,
  globalHash: string,
  ctx: ScreenContext,
): { delta: Float64Array; gradient?: Float64Array } {
  const reject = (code: RejectionCode, reason: string) => new UpdateRejected(code, reason);
  if (u.ciphertext === null) throw reject("unavailable", `not retrievable from storage (${u.fetchError ?? "unknown reason"})`);
  if (!(Number.isSafeInteger(u.numExamples) && u.numExamples >= 1)) {
    throw reject(
      "num-examples-out-of-bounds",
      `declares num_examples ${u.numExamples}; num_examples must be a whole number in [1, 2^53 − 1]`,
    );
  }
  if (sha256Hex(u.ciphertext) !== u.updateHash.toLowerCase())
    throw reject("hash-mismatch", "the ciphertext does not match the hash recorded on-chain");
  const { chainId, contract, taskId, round } = ctx;
  const plain = checkAs("envelope", () =>
    openUpdateParts(u.ciphertext!, ctx.encryptionSecret, { chainId, contract, taskId, round, client: u.client }),
  );
  if (ctx.consume) u.ciphertext = null; // its plaintext is all the rest needs
  const update = checkAs("malformed", () => decodeUpdate(plain, `update from ${client}`, { shared: ctx.shared }));
  checkAs("wrong-dimension", () => validateUpdate(update, ctx.dimension, `update from ${client}`, ctx.outputs));
  if (update.baseModelHash !== globalHash) {
    throw reject("out-of-round", `trained from global model ${update.baseModelHash}, not this round's ${globalHash} (out of round)`);
  }
  if (update.numExamples !== u.numExamples) {
    throw reject("num-examples-mismatch", `claims num_examples ${update.numExamples} but recorded ${u.numExamples} on-chain`);
  }
  // Bounded norms keep every sum finite (round-rules.ts); l2Norm itself cannot overflow.
  const norm = l2Norm(update.delta);
  if (!(norm <= ctx.rules.maxUpdateNorm)) {
    throw reject("norm-exceeds-bound", `its L2 norm ${norm.toPrecision(3)} exceeds the task's maxUpdateNorm ${ctx.rules.maxUpdateNorm}`);
  }
  if (!ctx.driftCorrection) return { delta: update.delta };
  if (update.gradient === undefined) {
    throw reject(
      "missing-gradient",
      "carries no gradient, but the task uses drift correction (federated.local.driftCorrection): the client must send flai-update/v2",
    );
  }
  // Its norm is not bounded here: the mean clips every gradient to the task's maxGradientNorm.
  return { delta: update.delta, gradient: update.gradient };
}

/** Refuses (with a tagged code) a round whose aggregate the task's rules do not allow to be published. */
/**
 * A private task's model (it says "sealed" inside its hash) handed in plaintext: whoever handed it holds
 * the plaintext (an admitted reader hosting the aggregator) and would get the next model stored in the
 * clear. Privacy follows the stored bytes and the model's own word, never the host's choice.
 */
function refuseClearPrivateModel(model: GlobalModel, taskKey: Uint8Array | null, binding: { taskId: bigint; round: number }): void {
  if (model.federated.sealed !== true || taskKey !== null) return;
  throw flaiError(
    `${inputRefusalTag("private-model-in-clear")}Task ${binding.taskId}'s previous model was handed to the enclave in plaintext, but the ` +
      `task is private (its model says "sealed"). Nothing was aggregated or signed. Hand the model as stored (sealed) with the task's keyrings.`,
    undefined,
    { code: "private-model-in-clear" },
  );
}

/**
 * Rejections in one bounded line: a count per code and the first one's reason. Every rejection is in
 * the round's report; an error line that listed them all grew with the number of clients.
 */
function rejectionSummary(rejected: readonly Decision[]): string {
  const counts = new Map<string, number>();
  for (const r of rejected) counts.set(r.code ?? "unknown", (counts.get(r.code ?? "unknown") ?? 0) + 1);
  const byCode = [...counts].map(([code, n]) => `[${code}] ×${n}`).join(", ");
  const first = rejected[0];
  return first === undefined
    ? "none rejected"
    : `${rejected.length} rejected: ${byCode} (first: ${first.client}: ${first.reason ?? "no reason given"})`;
}

function checkPublishable(acceptedCount: number, rejected: Decision[], rules: RoundRules, strategy: StrategyConfig, round: number): void {
  if (acceptedCount === 0) {
    throw flaiError(`${refusalTag("nothing-accepted")}No update of round ${round} is acceptable: ${rejectionSummary(rejected)}`);
  }
  if (acceptedCount < rules.minAccepted) {
    throw flaiError(
      `${refusalTag("too-few-accepted")}Round ${round} has ${acceptedCount} accepted update${acceptedCount === 1 ? "" : "s"}, fewer than the task's ` +
        `minimum of ${rules.minAccepted} per published aggregate: from the published model each client could rebuild the others' updates. ` +
        `The round is not published. More clients must take part, or the task must add DP noise (--clipping-norm and --noise-multiplier).` +
        (rejected.length > 0 ? ` Rejected: ${rejectionSummary(rejected)}` : ""),
    );
  }
  if ((strategy.name === "median" || strategy.name === "trimmed-mean") && acceptedCount < MIN_ROBUST_UPDATES) {
    throw flaiError(
      `${refusalTag("too-few-for-strategy")}Round ${round} has ${acceptedCount} accepted updates; ${strategy.name} needs at least ` +
        `${MIN_ROBUST_UPDATES} to bound an outlier (the median of 2 is their mean). The round is not published.`,
    );
  }
}

/**
 * The DP noise key: secret (only this enclave's sealed key derives it) yet reproducible (a re-run of
 * the same round over the same inputs draws the same noise), and different for every update set,
 * so two results of one round never share noise that their difference would cancel.
 */
function noiseKey(signingKey: string, binding: AggregateRequest["binding"], previousHash: string, inputHash: string): Uint8Array {
  return createHmac("sha256", Buffer.from(signingKey.slice(2), "hex"))
    .update(canonicalJson({ purpose: "flai/dp-noise/v2", ...binding, previousHash, inputHash }))
    .digest();
}
