import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { Contract, Signature, Wallet, getAddress, recoverAddress, type EventLog } from "ethers";

import { flaiError } from "../errors.js";
import { runAggregation, type RecordedUpdate } from "../fedavg/aggregator.js";
import { updatesAccumulator } from "../fedavg/accumulator.js";
import { buildCommitment } from "../fedavg/commitment.js";
import { roundResultDigest, type RoundResult } from "../fedavg/eip712.js";
import { parseGlobalModel, type GlobalMetrics, type GlobalModel } from "../fedavg/global-model.js";
import { encodeMetricsWord } from "../fedavg/metrics-word.js";
import { loadFlaiArtifact } from "../jobs/artifact.js";
import type { Deployment } from "../jobs/deployment.js";
import { decodeRevert } from "../jobs/revert.js";
import { canonicalJson } from "../ml/model.js";
import type { FlaiRuntime } from "../runtime.js";
import { unsealSecrets } from "../tee/identity.js";

import {
  directCall,
  eq,
  eventsOf,
  fetchVerified,
  message,
  parseId,
  sha256Hex,
  verifierChain,
  viewAt,
  type VerifyItem,
  type VerifyOptions,
} from "./common.js";

const ZERO = "0x" + "0".repeat(64);

/** The round report the enclave publishes (flai-round-report/v1), as far as a verifier reads it. */
interface RoundReport {
  format: string;
  chainId: string;
  contract: string;
  taskId: string;
  round: number;
  previousHash: string;
  globalHash: string;
  globalRoot: string;
  commitment: string;
  accepted: Array<{ client: string; updateRoot: string; updateHash: string; numExamples: number; weight: number; cumulativeWeightBefore: number }>;
  rejected: Array<{ client: string; updateRoot: string; updateHash: string; numExamples: number; reason: string }>;
  metrics: GlobalMetrics;
}

/** What RoundFinalized says (the enclave's signed RoundResult, plus who signed it). */
interface Finalized {
  log: EventLog;
  enclave: string;
  result: RoundResult;
}

interface Recorded {
  client: string;
  updateRoot: string;
  updateHash: string;
  sampleCount: number;
}

interface Context {
  flai: FlaiRuntime;
  deployment: Deployment;
  federated: Contract;
  registry: Contract;
  taskId: bigint;
  task: { status: number; rounds: number; measurement: string; enclave: string; globalRoot: string; globalHash: string };
  initial: { root: string; hash: string };
  finalized: Map<number, Finalized>;
  lastFinalized: number;
}

/**
 * Checks finalized rounds of a federated task from the chain and storage alone (all finalized rounds
 * when `round` is omitted): the event, the global model and report by their roots and hashes, the
 * commitment rebuilt from the report, every recorded update's ciphertext, the model chain, the
 * enclave's signature and registration; and, on the enclave owner's machine, the aggregation itself.
 */
export async function verifyRound(
  hre: HardhatRuntimeEnvironment,
  flai: FlaiRuntime,
  taskId: bigint | number | string,
  round?: number,
  opts: VerifyOptions = {},
): Promise<VerifyItem[]> {
  const id = parseId(taskId, "task");
  const { connection, deployment } = await verifierChain(hre, opts.connection);
  const provider = connection.ethers.provider;
  const federated = new Contract(deployment.federated, loadFlaiArtifact("FLAIFederated").abi, provider);
  const task = await readTask(federated, id, connection.networkName, deployment.federated);
  if (round !== undefined && (!Number.isInteger(round) || round < 1 || round > task.rounds)) {
    throw flaiError(`Task ${id} has rounds 1..${task.rounds}; there is no round ${round}.`);
  }
  const registryAddress = getAddress((await federated.registry()) as string);
  const registry = new Contract(registryAddress, loadFlaiArtifact("FLAIComputeJobs").abi, provider);

  const [created] = await eventsOf(federated, federated.filters.TaskCreated(id));
  if (created === undefined) {
    throw flaiError(`Task ${id} exists on FLAIFederated ${deployment.federated} but the node returns no TaskCreated event for it.`);
  }
  const finalized = new Map<number, Finalized>();
  for (const log of await eventsOf(federated, federated.filters.RoundFinalized(id))) {
    const a = log.args as unknown as [bigint, bigint, string, Record<keyof RoundResult, string | bigint>];
    const r = a[3];
    const hex = (key: keyof RoundResult) => (r[key] as string).toLowerCase();
    finalized.set(Number(a[1]), {
      log,
      enclave: getAddress(a[2]),
      result: {
        previousGlobalHash: hex("previousGlobalHash"),
        updatesAccumulator: hex("updatesAccumulator"),
        updateCount: Number(r.updateCount),
        globalRoot: hex("globalRoot"),
        globalHash: hex("globalHash"),
        commitment: hex("commitment"),
        acceptedWeight: r.acceptedWeight as bigint,
        acceptedCount: Number(r.acceptedCount),
        rejectedCount: Number(r.rejectedCount),
        reportRoot: hex("reportRoot"),
        metrics: hex("metrics"),
      },
    });
  }
  const ctx: Context = {
    flai,
    deployment,
    federated,
    registry,
    taskId: id,
    task,
    initial: { root: (created.args[3] as string).toLowerCase(), hash: (created.args[4] as string).toLowerCase() },
    finalized,
    lastFinalized: Math.max(0, ...finalized.keys()),
  };

  const rounds = round !== undefined ? [round] : [...finalized.keys()].sort((a, b) => a - b);
  if (rounds.length === 0) {
    return [{ item: `task ${id}`, verdict: "cannot check", detail: `task ${id} has no finalized round yet` }];
  }
  const items: VerifyItem[] = [];
  for (const r of rounds) {
    items.push(...(await verifyOne(ctx, r)));
  }
  return items;
}

async function verifyOne(ctx: Context, round: number): Promise<VerifyItem[]> {
  const { flai, federated, deployment, taskId } = ctx;
  const items: VerifyItem[] = [];
  const add = (item: string, verdict: VerifyItem["verdict"], detail: string) => items.push({ item: `round ${round}: ${item}`, verdict, detail });
  const fin = ctx.finalized.get(round);
  const info = (await federated.getRound(taskId, round)) as {
    updateCount: bigint;
    acceptedCount: bigint;
    acceptedWeight: bigint;
    finalized: boolean;
    commitment: string;
  };
  if (fin === undefined) {
    add(
      "RoundFinalized event",
      info.finalized ? "mismatch" : "cannot check",
      info.finalized
        ? `the contract says round ${round} is finalized, but the node returns no RoundFinalized event for it`
        : `round ${round} of task ${taskId} is not finalized (${info.updateCount} updates recorded): nothing to verify yet`,
    );
    return items;
  }
  const res = fin.result;

  // 1. The event against the contract's state.
  const differs: string[] = [];
  if (!info.finalized) differs.push("the contract does not mark the round finalized");
  if (!eq(info.commitment, res.commitment)) differs.push(`commitment ${info.commitment} in state`);
  if (Number(info.acceptedCount) !== res.acceptedCount) differs.push(`accepted count ${info.acceptedCount} in state`);
  if (info.acceptedWeight !== res.acceptedWeight) differs.push(`accepted weight ${info.acceptedWeight} in state`);
  if (round === ctx.lastFinalized && (!eq(ctx.task.globalRoot, res.globalRoot) || !eq(ctx.task.globalHash, res.globalHash))) {
    differs.push(`the task's current global model is ${ctx.task.globalRoot} / ${ctx.task.globalHash}`);
  }
  add(
    "RoundFinalized event",
    differs.length === 0 ? "match" : "mismatch",
    `tx ${fin.log.transactionHash} (block ${fin.log.blockNumber}) by enclave ${fin.enclave}: global model ${res.globalRoot}, ` +
      `${res.acceptedCount} accepted (weight ${res.acceptedWeight}), ${res.rejectedCount} rejected, report ${res.reportRoot}` +
      (differs.length === 0 ? "; agrees with the contract's state" : `; but ${differs.join("; ")}`),
  );

  // 2. The new global model: by its root, then its SHA-256 and metrics word.
  const globalFetched = await fetchVerified(flai.storage, res.globalRoot, "global model", `round ${round}'s global model`);
  let next: GlobalModel | undefined;
  if (globalFetched.bytes === undefined) {
    items.push({ ...globalFetched.item, item: `round ${round}: global model` });
  } else {
    const hash = sha256Hex(globalFetched.bytes);
    const problems: string[] = [];
    if (!eq(hash, res.globalHash)) problems.push(`its SHA-256 is ${hash}, not the on-chain ${res.globalHash}`);
    try {
      next = parseGlobalModel(globalFetched.bytes, `global model ${res.globalRoot}`);
      if (next.metrics === null) problems.push("it has no metrics");
      else if (!eq(encodeMetricsWord(next.metrics), res.metrics)) {
        problems.push(`its metrics pack to ${encodeMetricsWord(next.metrics)}, not the on-chain word ${res.metrics}`);
      }
    } catch (error) {
      problems.push(message(error));
    }
    add(
      "global model",
      problems.length === 0 ? "match" : "mismatch",
      problems.length === 0
        ? `${res.globalRoot} downloaded (root verified), SHA-256 ${hash} = on-chain globalHash; metrics word matches`
        : `${res.globalRoot}: ${problems.join("; ")}`,
    );
  }

  // 3. The previous global model and the chain between them.
  const prevRef = round === 1 ? ctx.initial : previousOf(ctx, round);
  let prevBytes: Uint8Array | undefined;
  if (prevRef === undefined) {
    add("model chain", "mismatch", `round ${round - 1} has no RoundFinalized event, yet round ${round} was finalized`);
  } else {
    const prevFetched = await fetchVerified(flai.storage, prevRef.root, "model chain", `the global model round ${round} started from`);
    prevBytes = prevFetched.bytes;
    if (prevBytes === undefined) {
      items.push({ ...prevFetched.item, item: `round ${round}: model chain` });
    } else if (!eq(sha256Hex(prevBytes), prevRef.hash)) {
      add("model chain", "mismatch", `the previous global model ${prevRef.root} has SHA-256 ${sha256Hex(prevBytes)}, not the on-chain ${prevRef.hash}`);
      prevBytes = undefined;
    } else if (next === undefined) {
      add("model chain", "cannot check", "the new global model is not available (see above)");
    } else {
      const problems: string[] = [];
      let prev: GlobalModel | undefined;
      try {
        prev = parseGlobalModel(prevBytes, `global model ${prevRef.root}`);
      } catch (error) {
        problems.push(message(error));
      }
      if (!eq(next.previousHash, prevRef.hash)) problems.push(`previousHash is ${next.previousHash}, not ${prevRef.hash}`);
      if (next.round !== round) problems.push(`it says round ${next.round}`);
      if (prev !== undefined) {
        for (const key of ["features", "classes", "standardization", "federated", "format", "algorithm"] as const) {
          if (canonicalJson(prev[key] ?? null) !== canonicalJson(next[key] ?? null)) problems.push(`"${key}" changed from the previous model`);
        }
      }
      add(
        "model chain",
        problems.length === 0 ? "match" : "mismatch",
        problems.length === 0
          ? `previousHash ${prevRef.hash} is the ${round === 1 ? "task's initial model (TaskCreated)" : `round ${round - 1} global model`}; the task's rules (strategy, evaluation set, scaling) are unchanged`
          : problems.join("; "),
      );
    }
  }

  // 4. The round report: by its root, its fields against the event; the commitment rebuilt from it.
  const reportFetched = await fetchVerified(flai.storage, res.reportRoot, "round report", `round ${round}'s report`);
  let report: RoundReport | undefined;
  if (reportFetched.bytes === undefined) {
    items.push({ ...reportFetched.item, item: `round ${round}: round report` });
  } else {
    const problems: string[] = [];
    try {
      report = JSON.parse(Buffer.from(reportFetched.bytes).toString("utf8")) as RoundReport;
      const expect: Array<[string, unknown, unknown]> = [
        ["format", report.format, "flai-round-report/v1"],
        ["chainId", report.chainId, deployment.chainId.toString()],
        ["contract", report.contract?.toLowerCase(), deployment.federated.toLowerCase()],
        ["taskId", report.taskId, taskId.toString()],
        ["round", report.round, round],
        ["globalRoot", report.globalRoot?.toLowerCase(), res.globalRoot],
        ["globalHash", report.globalHash?.toLowerCase(), res.globalHash],
        ["commitment", report.commitment?.toLowerCase(), res.commitment],
        ["previousHash", report.previousHash?.toLowerCase(), prevRef?.hash],
        ["rejected count", report.rejected?.length, res.rejectedCount],
        ["metrics", report.metrics === undefined ? undefined : canonicalJson(report.metrics), next?.metrics == null ? undefined : canonicalJson(next.metrics)],
      ];
      for (const [what, actual, expected] of expect) {
        if (expected !== undefined && actual !== expected) problems.push(`${what} is ${String(actual)}, expected ${String(expected)}`);
      }
      if (!Array.isArray(report.accepted) || !Array.isArray(report.rejected)) {
        problems.push("it has no accepted/rejected lists");
        report = undefined;
      }
    } catch (error) {
      problems.push(`not a JSON round report (${message(error)})`);
      report = undefined;
    }
    add(
      "round report",
      problems.length === 0 ? "match" : "mismatch",
      problems.length === 0
        ? `${res.reportRoot} downloaded (root verified); its roots, hashes, round binding and metrics agree with the event`
        : `${res.reportRoot}: ${problems.join("; ")}`,
    );
  }

  if (report === undefined) {
    add("commitment", "cannot check", "the round report is not available (see above)");
  } else {
    try {
      const c = buildCommitment(report.accepted.map((a) => ({ client: a.client, updateHash: a.updateHash, weight: BigInt(a.weight) })));
      const problems: string[] = [];
      if (!eq(c.root, res.commitment)) problems.push(`root ${c.root}, not the on-chain ${res.commitment}`);
      if (c.totalWeight !== res.acceptedWeight) problems.push(`total weight ${c.totalWeight}, not ${res.acceptedWeight}`);
      if (c.leaves.length !== res.acceptedCount) problems.push(`${c.leaves.length} leaves, not ${res.acceptedCount}`);
      c.leaves.forEach((leaf, i) => {
        if (BigInt(report!.accepted[i]!.cumulativeWeightBefore) !== leaf.cumulativeWeightBefore) {
          problems.push(`the report's cumulativeWeightBefore for ${leaf.client} is ${report!.accepted[i]!.cumulativeWeightBefore}, not ${leaf.cumulativeWeightBefore}`);
        }
      });
      add(
        "commitment",
        problems.length === 0 ? "match" : "mismatch",
        problems.length === 0
          ? `rebuilt from the report's ${c.leaves.length} accepted updates: ${c.root} = on-chain, total weight ${c.totalWeight}`
          : `rebuilt from the report: ${problems.join("; ")}`,
      );
    } catch (error) {
      add("commitment", "mismatch", `the report's accepted list does not build a commitment: ${message(error)}`);
    }
  }

  // 5. Every recorded update: accounted for in the report, its ciphertext in storage under its hash.
  const recordLogs = (await eventsOf(federated, federated.filters.UpdateRecorded(taskId, round))).sort(
    (a, b) => a.blockNumber - b.blockNumber || a.index - b.index,
  );
  const recorded = recordLogs.map((log): Recorded => {
    const a = log.args as unknown as [bigint, bigint, string, string, string, bigint];
    return { client: getAddress(a[2]), updateRoot: a[3].toLowerCase(), updateHash: a[4].toLowerCase(), sampleCount: Number(a[5]) };
  });
  add("update set", ...updateSetVerdict(ctx, round, res, recorded));
  const ciphertexts = new Map<string, { bytes: Uint8Array | undefined; error?: string }>();
  for (const u of recorded) {
    ciphertexts.set(u.client, await readCiphertext(ctx, u.updateRoot));
  }
  if (report !== undefined) {
    const listed = [
      ...report.accepted.map((e) => ({ ...e, accepted: true, reason: undefined as string | undefined })),
      ...report.rejected.map((e) => ({ ...e, accepted: false })),
    ];
    for (const u of recorded) {
      const entries = listed.filter((e) => eq(e.client, u.client));
      const item = `update ${u.client}`;
      const entry = entries[0];
      if (entries.length !== 1 || entry === undefined) {
        add(item, "mismatch", `recorded on-chain (root ${u.updateRoot}) but listed ${entries.length} times in the report (expected once)`);
        continue;
      }
      if (!eq(entry.updateRoot, u.updateRoot) || !eq(entry.updateHash, u.updateHash) || entry.numExamples !== u.sampleCount) {
        add(item, "mismatch", `the report lists root ${entry.updateRoot}, hash ${entry.updateHash}, num_examples ${entry.numExamples}; UpdateRecorded has ${u.updateRoot}, ${u.updateHash}, ${u.sampleCount}`);
        continue;
      }
      add(item, ...updateVerdict(u, entry.accepted, entry.reason, ciphertexts.get(u.client)!));
    }
    const strays = listed.filter((e) => !recorded.some((u) => eq(u.client, e.client)));
    add(
      "updates accounted",
      strays.length === 0 && listed.length === recorded.length ? "match" : "mismatch",
      strays.length === 0 && listed.length === recorded.length
        ? `all ${recorded.length} recorded updates are in the report (${report.accepted.length} accepted, ${report.rejected.length} rejected), none other`
        : `the report lists ${listed.length} updates for ${recorded.length} recorded` +
            (strays.length > 0 ? `; not recorded on-chain: ${strays.map((s) => s.client).join(", ")}` : ""),
    );
  } else {
    for (const u of recorded) {
      const c = ciphertexts.get(u.client)!;
      const ok = c.bytes !== undefined && eq(sha256Hex(c.bytes), u.updateHash);
      add(`update ${u.client}`, "cannot check", `ciphertext ${c.bytes === undefined ? "not available" : ok ? "hashes to its recorded hash" : "does not hash to its recorded hash"}; without the report, whether it was accepted is unknown`);
    }
  }

  // 6. The enclave's signature over the RoundResult, from the finalizeRound calldata.
  const call = await directCall(federated, deployment.federated, fin.log, "finalizeRound");
  let calldataSignature: string | undefined;
  if ("why" in call) {
    add("enclave signature", "cannot check", call.why);
  } else {
    const [callTask, callRound, callResult, r, vs] = call.args as [bigint, bigint, Record<string, unknown>, string, string];
    const problems: string[] = [];
    if (callTask !== taskId || Number(callRound) !== round) problems.push(`the calldata is for task ${callTask} round ${callRound}`);
    for (const key of ["previousGlobalHash", "updatesAccumulator", "globalRoot", "globalHash", "commitment", "reportRoot", "metrics"] as const) {
      if (!eq(callResult[key] as string, res[key])) problems.push(`calldata ${key} ${String(callResult[key])} differs from the event`);
    }
    let recovered: string | undefined;
    try {
      calldataSignature = Signature.from({ r, yParityAndS: vs }).serialized;
      const binding = { chainId: deployment.chainId, contract: deployment.federated, taskId, round };
      recovered = getAddress(recoverAddress(roundResultDigest(binding, res), calldataSignature));
    } catch (error) {
      problems.push(`the signature is malformed (${message(error)})`);
    }
    if (recovered !== undefined && recovered !== fin.enclave) problems.push(`it recovers ${recovered}, not the event's enclave ${fin.enclave}`);
    add(
      "enclave signature",
      problems.length === 0 ? "match" : "mismatch",
      problems.length === 0
        ? `EIP-712 RoundResult rebuilt from the event; the finalizeRound calldata signature recovers ${recovered}, the event's enclave`
        : problems.join("; "),
    );
  }

  // 7. The signer was registered for the task's measurement, and that measurement accepted.
  const at = await viewAt(async (o) => {
    const measurement = (await ctx.registry.enclaveMeasurement(fin.enclave, o)) as string;
    const accepted = measurement !== ZERO && ((await ctx.registry.isMeasurementAccepted(measurement, o)) as boolean);
    return { measurement, accepted };
  }, fin.log.blockNumber);
  const registered = eq(at.value.measurement, ctx.task.measurement);
  const taskEnclave = fin.enclave === ctx.task.enclave;
  add(
    "enclave registration",
    registered && at.value.accepted && taskEnclave ? "match" : "mismatch",
    (taskEnclave ? `${fin.enclave} is the task's enclave (TaskCreated); ` : `${fin.enclave} is NOT the task's enclave ${ctx.task.enclave}; `) +
      (registered
        ? `it was registered for the task's measurement ${ctx.task.measurement}, ${at.value.accepted ? "accepted" : "NOT accepted"}, at ${at.at}`
        : `it was registered for ${at.value.measurement === ZERO ? "no measurement" : at.value.measurement}, not the task's ${ctx.task.measurement}, at ${at.at}`),
  );

  // 8. Re-execution: the updates are sealed to the enclave, so only its owner's machine can open them.
  add("re-execution", ...(await reExecute(ctx, round, fin, prevRef, prevBytes, next, recorded, ciphertexts, calldataSignature)));
  return items;
}

function updateVerdict(
  u: Recorded,
  accepted: boolean,
  reason: string | undefined,
  c: { bytes: Uint8Array | undefined; error?: string },
): [VerifyItem["verdict"], string] {
  const hashOk = c.bytes !== undefined && eq(sha256Hex(c.bytes), u.updateHash);
  const where = `ciphertext ${u.updateRoot}`;
  if (accepted) {
    if (c.bytes === undefined) return ["cannot check", `accepted, but ${where} is not retrievable now (${c.error})`];
    return hashOk
      ? ["match", `accepted; ${where} is in storage (root verified) and its SHA-256 is the recorded ${u.updateHash}`]
      : ["mismatch", `accepted, but ${where} has SHA-256 ${sha256Hex(c.bytes)}, not the recorded ${u.updateHash}`];
  }
  const why = `rejected (${reason ?? "no reason given"})`;
  if (c.bytes === undefined) {
    return /not retrievable/.test(reason ?? "")
      ? ["match", `${why}; ${where} is still not in storage`]
      : ["cannot check", `${why}; ${where} is not retrievable now (${c.error})`];
  }
  if (hashOk) return ["match", `${why}; ${where} is in storage and hashes to the recorded ${u.updateHash} (the reason needs the sealed key to re-check)`];
  return /does not match the hash recorded/.test(reason ?? "")
    ? ["match", `${why}; confirmed: ${where} has SHA-256 ${sha256Hex(c.bytes)}, not the recorded ${u.updateHash}`]
    : ["mismatch", `${why}, but ${where} does not hash to the recorded ${u.updateHash}, which the enclave did not report`];
}

async function reExecute(
  ctx: Context,
  round: number,
  fin: Finalized,
  prevRef: { root: string; hash: string } | undefined,
  prevBytes: Uint8Array | undefined,
  next: GlobalModel | undefined,
  recorded: Recorded[],
  ciphertexts: Map<string, { bytes: Uint8Array | undefined; error?: string }>,
  calldataSignature: string | undefined,
): Promise<[VerifyItem["verdict"], string]> {
  const sealedKey = "encrypted updates need the enclave's sealed key (run on the enclave owner's machine)";
  let signer: string;
  try {
    signer = new Wallet((await unsealSecrets(ctx.flai.teeSim.dir)).signingKey).address;
  } catch (error) {
    return ["cannot check", `${sealedKey}: ${message(error)}`];
  }
  if (signer !== fin.enclave) {
    return ["cannot check", `${sealedKey}: this machine's enclave is ${signer}, but round ${round} was signed by ${fin.enclave}`];
  }
  if (prevRef === undefined || prevBytes === undefined) {
    return ["cannot check", "the global model the round started from is not available (see model chain)"];
  }
  if (next === undefined) {
    return ["cannot check", "the new global model is not available to compare with (see global model)"];
  }
  const evaluationRoot = next.federated.evaluationRoot;
  let evaluation: Uint8Array;
  try {
    evaluation = await ctx.flai.storage.read(evaluationRoot);
  } catch (error) {
    return ["cannot check", `the evaluation set ${evaluationRoot} is not available: ${message(error)}`];
  }
  const updates: RecordedUpdate[] = recorded.map((u) => {
    const c = ciphertexts.get(u.client)!;
    return c.bytes === undefined ? { ...u, ciphertext: null, fetchError: c.error } : { ...u, ciphertext: c.bytes };
  });
  let response;
  try {
    response = await runAggregation({
      enclaveDir: ctx.flai.teeSim.dir,
      binding: { chainId: ctx.deployment.chainId.toString(), contract: ctx.deployment.federated, taskId: ctx.taskId.toString(), round },
      globalModel: prevBytes,
      globalHash: prevRef.hash,
      updatesAccumulator: fin.result.updatesAccumulator,
      updateCount: fin.result.updateCount,
      evaluation,
      updates,
    });
  } catch (error) {
    return ["mismatch", `re-running the aggregation on the same inputs fails: ${message(error)}`];
  }
  const r = response.result;
  const res = fin.result;
  const differs: string[] = [];
  for (const key of ["globalRoot", "globalHash", "commitment", "reportRoot", "metrics"] as const) {
    if (!eq(r[key], res[key])) differs.push(`${key} ${r[key]} (on-chain ${res[key]})`);
  }
  if (BigInt(r.acceptedWeight) !== res.acceptedWeight) differs.push(`acceptedWeight ${r.acceptedWeight} (on-chain ${res.acceptedWeight})`);
  if (r.acceptedCount !== res.acceptedCount || r.rejectedCount !== res.rejectedCount) {
    differs.push(`${r.acceptedCount} accepted / ${r.rejectedCount} rejected (on-chain ${res.acceptedCount} / ${res.rejectedCount})`);
  }
  if (differs.length > 0) {
    return ["mismatch", `re-running the aggregation in-process with the sealed key gives ${differs.join("; ")}`];
  }
  const sameSignature = calldataSignature !== undefined && response.signature.toLowerCase() === calldataSignature.toLowerCase();
  return [
    "match",
    `re-ran the aggregation in-process with the sealed key on the same ${updates.length} updates: global model ${r.globalHash}, ` +
      `commitment and report root byte-identical to the chain` +
      // The correction is part of the model's bytes: the hash match covers it.
      (next.correction !== undefined ? `; the drift correction in it re-derived from the ${r.acceptedCount} accepted updates' decrypted gradients` : "") +
      (sameSignature ? "; even the (deterministic) signature is identical" : ""),
  ];
}

/**
 * The round's inputs as signed: the accumulator rebuilt from the UpdateRecorded events (record
 * order) and their count must be the ones in the result, and its previous model hash the model the
 * round started from (the previous round's result, or the task's initial model).
 */
function updateSetVerdict(ctx: Context, round: number, res: RoundResult, recorded: Recorded[]): [VerifyItem["verdict"], string] {
  const rebuilt = updatesAccumulator(ctx.taskId, round, recorded);
  const problems: string[] = [];
  if (!eq(rebuilt, res.updatesAccumulator) || recorded.length !== res.updateCount) {
    problems.push(
      `the ${recorded.length} UpdateRecorded events rebuild the accumulator ${rebuilt}, but the enclave signed ${res.updatesAccumulator} over ${res.updateCount} updates`,
    );
  }
  const prevRef = round === 1 ? ctx.initial : previousOf(ctx, round);
  if (prevRef !== undefined && !eq(prevRef.hash, res.previousGlobalHash)) {
    problems.push(`the enclave signed previous model ${res.previousGlobalHash}, but round ${round} started from ${prevRef.hash}`);
  }
  return problems.length === 0
    ? [
        "match",
        `the signed result binds the ${recorded.length} recorded updates (accumulator ${rebuilt}, rebuilt from UpdateRecorded in record order) ` +
          `and the previous model ${res.previousGlobalHash} (${round === 1 ? "the task's initial model" : `round ${round - 1}'s result`})`,
      ]
    : ["mismatch", problems.join("; ")];
}

function previousOf(ctx: Context, round: number): { root: string; hash: string } | undefined {
  const prev = ctx.finalized.get(round - 1);
  return prev === undefined ? undefined : { root: prev.result.globalRoot, hash: prev.result.globalHash };
}

async function readCiphertext(ctx: Context, root: string): Promise<{ bytes: Uint8Array | undefined; error?: string }> {
  try {
    return { bytes: await ctx.flai.storage.read(root) };
  } catch (error) {
    return { bytes: undefined, error: message(error) };
  }
}

async function readTask(federated: Contract, id: bigint, networkName: string, address: string) {
  let raw: { status: bigint; rounds: bigint; measurement: string; enclave: string; globalRoot: string; globalHash: string };
  try {
    raw = await federated.getTask(id);
  } catch (error) {
    if (decodeRevert(error, federated.interface)?.name === "UnknownTask") {
      const count = (await federated.taskCount()) as bigint;
      throw flaiError(
        `Federated task ${id} does not exist on network "${networkName}" (FLAIFederated ${address} has ` +
          (count === 0n ? "no tasks yet" : `tasks 1..${count}`) + `).`,
      );
    }
    throw error;
  }
  return {
    status: Number(raw.status),
    rounds: Number(raw.rounds),
    measurement: raw.measurement.toLowerCase(),
    enclave: getAddress(raw.enclave),
    globalRoot: raw.globalRoot.toLowerCase(),
    globalHash: raw.globalHash.toLowerCase(),
  };
}
