import { Signature, ZeroHash, getAddress, recoverAddress } from "ethers";

import { finalizeRoundCall } from "../chain/federated-reads.js";
import { updatesAccumulator } from "../federated/accumulator.js";
import { buildCommitment } from "../federated/commitment.js";
import { roundResultDigest, type RoundResult } from "../federated/eip712.js";
import { parseGlobalModel, type GlobalModel } from "../federated/global-model.js";
import { encodeMetricsWord } from "../federated/metrics-word.js";
import { ROUND_REPORT_FORMAT, readRoundReport, type RoundReport } from "../federated/round-report.js";
import { canonicalJson } from "../ml/model.js";
import type { StorageBackend } from "../storage/types.js";

import {
  directCall,
  encryptedItem,
  eq,
  fetchVerified,
  judged,
  message,
  sha256Hex,
  verdictItem,
  viewAt,
  type VerifyItem,
} from "./common.js";
import { startingModel, type Finalized, type ModelRef, type Recorded, type RoundChain, type RoundState } from "./round-chain.js";
import { plaintextOf, type RoundKeys } from "./round-keys.js";

/**
 * Each check of one finalized round: what it reads, and the verdict item(s) it gives. Item names
 * carry no round; verifyRound prefixes them ("round 2: global model").
 */

/** 1. The RoundFinalized event against the contract's state. */
export function checkFinalizedEvent(chain: RoundChain, round: number, fin: Finalized, state: RoundState): VerifyItem {
  const res = fin.result;
  const differs: string[] = [];
  if (!state.finalized) differs.push("the contract does not mark the round finalized");
  if (!eq(state.commitment, res.commitment)) differs.push(`commitment ${state.commitment} in state`);
  if (Number(state.acceptedCount) !== res.acceptedCount) differs.push(`accepted count ${state.acceptedCount} in state`);
  if (state.acceptedWeight !== res.acceptedWeight) differs.push(`accepted weight ${state.acceptedWeight} in state`);
  if (round === chain.lastFinalized && (!eq(chain.task.globalRoot, res.globalRoot) || !eq(chain.task.globalHash, res.globalHash))) {
    differs.push(`the task's current global model is ${chain.task.globalRoot} / ${chain.task.globalHash}`);
  }
  const stated =
    `tx ${fin.log.transactionHash} (block ${fin.log.blockNumber}) by enclave ${fin.enclave}: global model ${res.globalRoot}, ` +
    `${res.acceptedCount} accepted (weight ${res.acceptedWeight}), ${res.rejectedCount} rejected, report ${res.reportRoot}`;
  return judged("RoundFinalized event", differs, `${stated}; agrees with the contract's state`, (d) => `${stated}; but ${d.join("; ")}`);
}

/** A round the contract has no RoundFinalized event for: a mismatch if it says finalized, else nothing to check yet. */
export function missingFinalizedEvent(taskId: bigint, round: number, state: RoundState): VerifyItem {
  return state.finalized
    ? verdictItem(
        "RoundFinalized event",
        "mismatch",
        `the contract says round ${round} is finalized, but the node returns no RoundFinalized event for it`,
      )
    : verdictItem(
        "RoundFinalized event",
        "cannot check",
        `round ${round} of task ${taskId} is not finalized (${state.updateCount} updates recorded): nothing to verify yet`,
      );
}

/**
 * 2. The new global model: by its root, then its SHA-256 and metrics word — of its plaintext, which a
 * private task's stored bytes give only to a reader key (round-keys.ts): without one, "cannot check: encrypted".
 */
export async function checkGlobalModel(
  storage: StorageBackend,
  round: number,
  res: RoundResult,
  keys: RoundKeys,
): Promise<{ item: VerifyItem; model?: GlobalModel }> {
  const fetched = await fetchVerified(storage, res.globalRoot, "global model", `round ${round}'s global model`);
  if (fetched.bytes === undefined) return { item: fetched.item };
  const opened = plaintextOf(fetched.bytes, keys, round, res.globalHash);
  if ("encrypted" in opened) {
    return {
      item: encryptedItem(
        "global model",
        `${res.globalRoot} (root verified, ${fetched.bytes.length} bytes): its plaintext SHA-256 and metrics word ` +
          `need a reader key (${opened.encrypted})`,
      ),
    };
  }
  if ("problem" in opened) return { item: verdictItem("global model", "mismatch", `${res.globalRoot}: ${opened.problem}`) };
  const plaintext = opened.plaintext;
  const hash = sha256Hex(plaintext);
  const problems: string[] = [];
  if (!eq(hash, res.globalHash)) problems.push(`its SHA-256 is ${hash}, not the on-chain ${res.globalHash}`);
  let model: GlobalModel | undefined;
  try {
    model = parseGlobalModel(plaintext, `global model ${res.globalRoot}`);
    if (model.metrics === null) problems.push("it has no metrics");
    else if (!eq(encodeMetricsWord(model.metrics), res.metrics)) {
      problems.push(`its metrics pack to ${encodeMetricsWord(model.metrics)}, not the on-chain word ${res.metrics}`);
    }
  } catch (error) {
    problems.push(message(error));
  }
  const item = judged(
    "global model",
    problems,
    `${res.globalRoot} downloaded (root verified)${plaintext === fetched.bytes ? "" : `, opened with the task key (${keys.who})`}, ` +
      `SHA-256 ${hash} = on-chain globalHash; metrics word matches`,
    (p) => `${res.globalRoot}: ${p.join("; ")}`,
  );
  return { item, model };
}

/** What the model-chain check found: its item, and the starting model's bytes when they have the on-chain hash. */
export interface ModelChainCheck {
  item: VerifyItem;
  start?: ModelRef;
  /** The starting model's plaintext, when it has the on-chain hash. */
  startBytes?: Uint8Array;
  /** The starting model as stored (sealed for a private task): what the enclave is handed on a re-run. */
  startStored?: Uint8Array;
}

/** 3. The global model the round started from, and the chain from it to the new one. */
export async function checkModelChain(
  storage: StorageBackend,
  chain: RoundChain,
  round: number,
  next: GlobalModel | undefined,
  keys: RoundKeys,
): Promise<ModelChainCheck> {
  const start = startingModel(chain, round);
  if (start === undefined) {
    return {
      item: verdictItem("model chain", "mismatch", `round ${round - 1} has no RoundFinalized event, yet round ${round} was finalized`),
    };
  }
  const fetched = await fetchVerified(storage, start.root, "model chain", `the global model round ${round} started from`);
  const stored = fetched.bytes;
  if (stored === undefined) return { item: fetched.item, start };
  const opened = plaintextOf(stored, keys, round - 1, start.hash);
  if ("encrypted" in opened) {
    return {
      item: encryptedItem(
        "model chain",
        `the previous global model ${start.root} (root verified): the chain from it needs a reader key (${opened.encrypted})`,
      ),
      start,
      startStored: stored,
    };
  }
  if ("problem" in opened)
    return { item: verdictItem("model chain", "mismatch", `the previous global model ${start.root}: ${opened.problem}`), start };
  const bytes = opened.plaintext;
  if (!eq(sha256Hex(bytes), start.hash)) {
    return {
      item: verdictItem(
        "model chain",
        "mismatch",
        `the previous global model ${start.root} has SHA-256 ${sha256Hex(bytes)}, not the on-chain ${start.hash}`,
      ),
      start,
    };
  }
  if (next === undefined)
    return {
      item: verdictItem("model chain", "cannot check", "the new global model is not available (see above)"),
      start,
      startBytes: bytes,
      startStored: stored,
    };
  const from = round === 1 ? "task's initial model (TaskCreated)" : `round ${round - 1} global model`;
  const item = judged(
    "model chain",
    modelChainProblems(bytes, start, next, round),
    `previousHash ${start.hash} is the ${from}; the task's rules (strategy, evaluation set, scaling) are unchanged`,
    (p) => p.join("; "),
  );
  return { item, start, startBytes: bytes, startStored: stored };
}

/** The new model must name the starting model's hash and this round, and keep the task's rules. */
function modelChainProblems(startBytes: Uint8Array, start: ModelRef, next: GlobalModel, round: number): string[] {
  const problems: string[] = [];
  let prev: GlobalModel | undefined;
  try {
    prev = parseGlobalModel(startBytes, `global model ${start.root}`);
  } catch (error) {
    problems.push(message(error));
  }
  if (!eq(next.previousHash, start.hash)) problems.push(`previousHash is ${next.previousHash}, not ${start.hash}`);
  if (next.round !== round) problems.push(`it says round ${next.round}`);
  if (prev !== undefined) {
    for (const key of ["features", "classes", "standardization", "federated", "format", "algorithm"] as const) {
      if (canonicalJson(prev[key] ?? null) !== canonicalJson(next[key] ?? null)) problems.push(`"${key}" changed from the previous model`);
    }
  }
  return problems;
}

/** Where the report's fields must agree with the chain (and with the new global model). */
export interface ReportExpectation {
  chain: RoundChain;
  round: number;
  res: RoundResult;
  start: ModelRef | undefined;
  next: GlobalModel | undefined;
}

/** 4. The round report: by its root, its fields against the event. */
export async function checkReport(storage: StorageBackend, expect: ReportExpectation): Promise<{ item: VerifyItem; report?: RoundReport }> {
  const { res, round } = expect;
  const fetched = await fetchVerified(storage, res.reportRoot, "round report", `round ${round}'s report`);
  if (fetched.bytes === undefined) return { item: fetched.item };
  const problems: string[] = [];
  let report: RoundReport | undefined;
  try {
    report = readRoundReport(fetched.bytes);
    problems.push(...reportProblems(report, expect));
    if (!Array.isArray(report.accepted) || !Array.isArray(report.rejected)) {
      problems.push("it has no accepted/rejected lists");
      report = undefined;
    }
  } catch (error) {
    problems.push(`not a JSON round report (${message(error)})`);
    report = undefined;
  }
  const item = judged(
    "round report",
    problems,
    `${res.reportRoot} downloaded (root verified); its roots, hashes, round binding and metrics agree with the event`,
    (p) => `${res.reportRoot}: ${p.join("; ")}`,
  );
  return { item, report };
}

function reportProblems(report: RoundReport, { chain, round, res, start, next }: ReportExpectation): string[] {
  const { deployment, taskId } = chain;
  const expected: Array<[string, unknown, unknown]> = [
    ["format", report.format, ROUND_REPORT_FORMAT],
    ["chainId", report.chainId, deployment.chainId.toString()],
    ["contract", report.contract?.toLowerCase(), deployment.federated.toLowerCase()],
    ["taskId", report.taskId, taskId.toString()],
    ["round", report.round, round],
    ["globalRoot", report.globalRoot?.toLowerCase(), res.globalRoot],
    ["globalHash", report.globalHash?.toLowerCase(), res.globalHash],
    ["commitment", report.commitment?.toLowerCase(), res.commitment],
    ["previousHash", report.previousHash?.toLowerCase(), start?.hash],
    ["rejected count", report.rejected?.length, res.rejectedCount],
    [
      "metrics",
      report.metrics === undefined ? undefined : canonicalJson(report.metrics),
      next?.metrics == null ? undefined : canonicalJson(next.metrics),
    ],
  ];
  return expected
    .filter(([, actual, wanted]) => wanted !== undefined && actual !== wanted)
    .map(([what, actual, wanted]) => `${what} is ${String(actual)}, expected ${String(wanted)}`);
}

/** 4b. The reward commitment rebuilt from the report's accepted list. */
export function checkCommitment(report: RoundReport | undefined, res: RoundResult): VerifyItem {
  if (report === undefined) return verdictItem("commitment", "cannot check", "the round report is not available (see above)");
  try {
    const c = buildCommitment(report.accepted.map((a) => ({ client: a.client, updateHash: a.updateHash, weight: BigInt(a.weight) })));
    const problems: string[] = [];
    if (!eq(c.root, res.commitment)) problems.push(`root ${c.root}, not the on-chain ${res.commitment}`);
    if (c.totalWeight !== res.acceptedWeight) problems.push(`total weight ${c.totalWeight}, not ${res.acceptedWeight}`);
    if (c.leaves.length !== res.acceptedCount) problems.push(`${c.leaves.length} leaves, not ${res.acceptedCount}`);
    c.leaves.forEach((leaf, i) => {
      const stated = report.accepted[i]!.cumulativeWeightBefore;
      if (BigInt(stated) !== leaf.cumulativeWeightBefore) {
        problems.push(`the report's cumulativeWeightBefore for ${leaf.client} is ${stated}, not ${leaf.cumulativeWeightBefore}`);
      }
    });
    return judged(
      "commitment",
      problems,
      `rebuilt from the report's ${c.leaves.length} accepted updates: ${c.root} = on-chain, total weight ${c.totalWeight}`,
      (p) => `rebuilt from the report: ${p.join("; ")}`,
    );
  } catch (error) {
    return verdictItem("commitment", "mismatch", `the report's accepted list does not build a commitment: ${message(error)}`);
  }
}

/**
 * 5a. The round's inputs as signed: the accumulator rebuilt from the UpdateRecorded events (record
 * order) and their count must be the ones in the result, and its previous model hash the model the
 * round started from (the previous round's result, or the task's initial model).
 */
export function checkUpdateSet(chain: RoundChain, round: number, res: RoundResult, recorded: Recorded[]): VerifyItem {
  const rebuilt = updatesAccumulator(chain.taskId, round, recorded);
  const problems: string[] = [];
  if (!eq(rebuilt, res.updatesAccumulator) || recorded.length !== res.updateCount) {
    problems.push(
      `the ${recorded.length} UpdateRecorded events rebuild the accumulator ${rebuilt}, but the enclave signed ${res.updatesAccumulator} over ${res.updateCount} updates`,
    );
  }
  const start = startingModel(chain, round);
  if (start !== undefined && !eq(start.hash, res.previousGlobalHash)) {
    problems.push(`the enclave signed previous model ${res.previousGlobalHash}, but round ${round} started from ${start.hash}`);
  }
  return judged(
    "update set",
    problems,
    `the signed result binds the ${recorded.length} recorded updates (accumulator ${rebuilt}, rebuilt from UpdateRecorded in record order) ` +
      `and the previous model ${res.previousGlobalHash} (${round === 1 ? "the task's initial model" : `round ${round - 1}'s result`})`,
    (p) => p.join("; "),
  );
}

/** 6. The enclave's signature over the RoundResult, from the finalizeRound calldata. */
export async function checkSignature(chain: RoundChain, round: number, fin: Finalized): Promise<{ item: VerifyItem; signature?: string }> {
  const { federated, deployment, taskId } = chain;
  const res = fin.result;
  const call = await directCall(federated, deployment.federated, fin.log, "finalizeRound");
  if ("why" in call) return { item: verdictItem("enclave signature", "cannot check", call.why) };
  const { taskId: callTask, round: callRound, result: callResult, r, vs } = finalizeRoundCall(call.args);
  const problems: string[] = [];
  if (callTask !== taskId || Number(callRound) !== round) problems.push(`the calldata is for task ${callTask} round ${callRound}`);
  for (const key of [
    "previousGlobalHash",
    "updatesAccumulator",
    "globalRoot",
    "globalHash",
    "commitment",
    "reportRoot",
    "metrics",
  ] as const) {
    if (!eq(callResult[key], res[key])) problems.push(`calldata ${key} ${String(callResult[key])} differs from the event`);
  }
  let signature: string | undefined;
  let recovered: string | undefined;
  try {
    signature = Signature.from({ r, yParityAndS: vs }).serialized;
    const binding = { chainId: deployment.chainId, contract: deployment.federated, taskId, round };
    recovered = getAddress(recoverAddress(roundResultDigest(binding, res), signature));
  } catch (error) {
    problems.push(`the signature is malformed (${message(error)})`);
  }
  if (recovered !== undefined && recovered !== fin.enclave)
    problems.push(`it recovers ${recovered}, not the event's enclave ${fin.enclave}`);
  const item = judged(
    "enclave signature",
    problems,
    `EIP-712 RoundResult rebuilt from the event; the finalizeRound calldata signature recovers ${recovered}, the event's enclave`,
    (p) => p.join("; "),
  );
  return { item, signature };
}

/** 7. The signer was the task's enclave, registered for the task's measurement, and that measurement accepted. */
export async function checkRegistration(chain: RoundChain, fin: Finalized): Promise<VerifyItem> {
  const { registry, task } = chain;
  const at = await viewAt(async (o) => {
    const measurement = (await registry.getFunction("enclaveMeasurement")(fin.enclave, o)) as string;
    const accepted = measurement !== ZeroHash && ((await registry.getFunction("isMeasurementAccepted")(measurement, o)) as boolean);
    return { measurement, accepted };
  }, fin.log.blockNumber);
  const registered = eq(at.value.measurement, task.measurement);
  const taskEnclave = fin.enclave === task.enclave;
  return verdictItem(
    "enclave registration",
    registered && at.value.accepted && taskEnclave ? "match" : "mismatch",
    (taskEnclave ? `${fin.enclave} is the task's enclave (TaskCreated); ` : `${fin.enclave} is NOT the task's enclave ${task.enclave}; `) +
      (registered
        ? `it was registered for the task's measurement ${task.measurement}, ${at.value.accepted ? "accepted" : "NOT accepted"}, at ${at.at}`
        : `it was registered for ${at.value.measurement === ZeroHash ? "no measurement" : at.value.measurement}, not the task's ${task.measurement}, at ${at.at}`),
  );
}
