import { Wallet } from "ethers";

import { runAggregation, type AggregateResponse, type RecordedUpdate } from "../federated/aggregator.js";
import type { RoundResult } from "../federated/eip712.js";
import type { GlobalModel } from "../federated/global-model.js";
import { isSealedArtifact } from "../privacy/artifact.js";
import type { StorageBackend } from "../storage/types.js";
import { unsealSecrets } from "../tee/identity.js";

import { encryptedItem, eq, message, verdictItem, type VerifyItem } from "./common.js";
import type { Finalized, ModelRef, Recorded, RoundChain } from "./round-chain.js";
import type { Ciphertext } from "./round-updates.js";

/** What re-running a round needs: its inputs as the chain and storage give them, and the signed result. */
export interface RoundInputs {
  chain: RoundChain;
  round: number;
  fin: Finalized;
  start: ModelRef | undefined;
  /** The starting model's plaintext (opened when private) and its bytes as stored (what the enclave is handed). */
  startBytes: Uint8Array | undefined;
  startStored?: Uint8Array;
  /** A private task's keyrings: the enclave takes the task key from its own entry. */
  keyrings?: Uint8Array[];
  next: GlobalModel | undefined;
  recorded: readonly Recorded[];
  ciphertexts: ReadonlyMap<string, Ciphertext>;
  /** The signature in the finalizeRound calldata, when it could be read. */
  calldataSignature: string | undefined;
}

const SEALED_KEY = "encrypted updates need the enclave's sealed key (run on the enclave owner's machine)";

/**
 * 8. Re-execution: the updates are sealed to the enclave, so only its owner's machine (the local
 * enclave folder `enclaveDir` holding the round signer's sealed key) can re-run the aggregation.
 */
export async function reExecute(storage: StorageBackend, enclaveDir: string, inputs: RoundInputs): Promise<VerifyItem> {
  const { round, fin, start, startBytes, next } = inputs;
  let signer: string;
  try {
    signer = new Wallet((await unsealSecrets(enclaveDir)).signingKey).address;
  } catch (error) {
    return encryptedItem("re-execution", `${SEALED_KEY}: ${message(error)}`);
  }
  if (signer !== fin.enclave) {
    return encryptedItem(
      "re-execution",
      `${SEALED_KEY}: this machine's enclave is ${signer}, but round ${round} was signed by ${fin.enclave}`,
    );
  }
  if (start === undefined || startBytes === undefined) {
    return verdictItem("re-execution", "cannot check", "the global model the round started from is not available (see model chain)");
  }
  if (next === undefined) {
    return verdictItem("re-execution", "cannot check", "the new global model is not available to compare with (see global model)");
  }
  const evaluationRoot = next.federated.evaluationRoot;
  let evaluation: Uint8Array;
  try {
    evaluation = await storage.read(evaluationRoot);
  } catch (error) {
    return verdictItem("re-execution", "cannot check", `the evaluation set ${evaluationRoot} is not available: ${message(error)}`);
  }
  const updates = recordedUpdates(inputs);
  // A private task's test set is sealed with the task key: the re-run opens it as the enclave did,
  // with the key from the enclave's own keyring entry (refused, by code, if that key does not open it).
  const sealedEvaluation = isSealedArtifact(evaluation);
  let response: AggregateResponse;
  try {
    response = await runAggregation({
      enclaveDir,
      binding: {
        chainId: inputs.chain.deployment.chainId.toString(),
        contract: inputs.chain.deployment.federated,
        taskId: inputs.chain.taskId.toString(),
        round,
      },
      globalModel: inputs.startStored ?? startBytes,
      globalHash: start.hash,
      keyrings: inputs.keyrings,
      updatesAccumulator: fin.result.updatesAccumulator,
      updateCount: fin.result.updateCount,
      evaluation,
      updates,
    });
  } catch (error) {
    return verdictItem("re-execution", "mismatch", `re-running the aggregation on the same inputs fails: ${message(error)}`);
  }
  return compareRerun(response, fin.result, next, { updates: updates.length, sealedEvaluation }, inputs.calldataSignature);
}

/** The recorded updates as the enclave is given them: each with its ciphertext, or why storage has none. */
function recordedUpdates({ recorded, ciphertexts }: RoundInputs): RecordedUpdate[] {
  return recorded.map((u) => {
    const c = ciphertexts.get(u.client)!;
    return c.bytes === undefined ? { ...u, ciphertext: null, fetchError: c.error } : { ...u, ciphertext: c.bytes };
  });
}

/** The re-run's result against the one signed on-chain: every root, hash, count and weight. */
function compareRerun(
  response: AggregateResponse,
  res: RoundResult,
  next: GlobalModel,
  { updates, sealedEvaluation }: { updates: number; sealedEvaluation: boolean },
  calldataSignature: string | undefined,
): VerifyItem {
  const r = response.result;
  const differs: string[] = [];
  for (const key of ["globalRoot", "globalHash", "commitment", "reportRoot", "metrics"] as const) {
    if (!eq(r[key], res[key])) differs.push(`${key} ${r[key]} (on-chain ${res[key]})`);
  }
  if (BigInt(r.acceptedWeight) !== res.acceptedWeight) differs.push(`acceptedWeight ${r.acceptedWeight} (on-chain ${res.acceptedWeight})`);
  if (r.acceptedCount !== res.acceptedCount || r.rejectedCount !== res.rejectedCount) {
    differs.push(`${r.acceptedCount} accepted / ${r.rejectedCount} rejected (on-chain ${res.acceptedCount} / ${res.rejectedCount})`);
  }
  if (differs.length > 0) {
    return verdictItem("re-execution", "mismatch", `re-running the aggregation in-process with the sealed key gives ${differs.join("; ")}`);
  }
  const sameSignature = calldataSignature !== undefined && response.signature.toLowerCase() === calldataSignature.toLowerCase();
  return verdictItem(
    "re-execution",
    "match",
    `re-ran the aggregation in-process with the sealed key on the same ${updates} updates: global model ${r.globalHash}, ` +
      `commitment and report root byte-identical to the chain` +
      // The correction is part of the model's bytes: the hash match covers it.
      (next.correction !== undefined
        ? `; the drift correction in it re-derived from the ${r.acceptedCount} accepted updates' decrypted gradients`
        : "") +
      (sealedEvaluation ? "; the encrypted test set opened with the task key and scored alike" : "") +
      (sameSignature ? "; even the (deterministic) signature is identical" : ""),
  );
}
