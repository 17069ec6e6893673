import { flaiErrorCode } from "../errors.js";
import { checkTaskData, taskDatasetOptions } from "../federated/classes.js";
import { evaluate } from "../federated/evaluate.js";
import { linearModel, type GlobalModel } from "../federated/global-model.js";
import { taskEvaluationBinding } from "../federated/task-models.js";
import { parseDataset } from "../ml/dataset.js";
import { isSealedArtifact, openArtifact } from "../privacy/artifact.js";
import type { StorageBackend } from "../storage/types.js";

import { encryptedItem, fetchVerified, message, verdictItem, type Fetched, type VerifyItem } from "./common.js";
import type { RoundKeys } from "./round-keys.js";

const ITEM = "test score";

/** A task's test set as stored, by root: read once per verification, whatever the number of rounds. */
export type TestSets = Map<string, Promise<Fetched>>;

/**
 * 9. The new global model's score on the task's test set: the accuracy and log-loss the enclave put in
 * the model, recomputed by evaluating the model on the set its rules commit (by root). Needs no
 * enclave key, only the plaintexts: a public task's anyone reads; a private task's test set is sealed
 * with the task key like its models, so only a reader (--account of an admitted reader, or the task's
 * enclave here) opens it, and without one the item is "cannot check: encrypted".
 */
export async function checkTestScore(
  storage: StorageBackend,
  next: GlobalModel | undefined,
  keys: RoundKeys,
  sets: TestSets,
): Promise<VerifyItem> {
  if (next === undefined) {
    return keys.keyrings.length > 0 && keys.keys.length === 0
      ? encryptedItem(ITEM, `the model and the test set need a reader key (${keys.who})`)
      : verdictItem(ITEM, "cannot check", "the new global model is not available (see global model)");
  }
  const root = next.federated.evaluationRoot;
  if (!sets.has(root)) sets.set(root, fetchVerified(storage, root, ITEM, "the task's test set"));
  const fetched = await sets.get(root)!;
  if (fetched.bytes === undefined) return fetched.item;
  const opened = openTestSet(fetched.bytes, keys);
  if ("encrypted" in opened) return encryptedItem(ITEM, `the test set ${root} is sealed with the task key (${opened.encrypted})`);
  if ("problem" in opened) return verdictItem(ITEM, "mismatch", `the test set ${root} ${opened.problem}`);
  let score: { accuracy: number; logLoss: number };
  try {
    const source = `the test set ${root}`;
    score = evaluate(linearModel(next), checkTaskData(parseDataset(opened.plaintext, source, taskDatasetOptions(next)), next, source));
  } catch (error) {
    return verdictItem(ITEM, "mismatch", `the model cannot be scored on the test set ${root}: ${message(error)}`);
  }
  const claimed = { accuracy: next.metrics?.accuracy, logLoss: next.metrics?.logLoss };
  if (score.accuracy !== claimed.accuracy || score.logLoss !== claimed.logLoss) {
    return verdictItem(
      ITEM,
      "mismatch",
      `on the test set ${root} the model scores accuracy ${score.accuracy}, log-loss ${score.logLoss}; ` +
        `its metrics say ${String(claimed.accuracy)}, ${String(claimed.logLoss)}`,
    );
  }
  const how = opened.plaintext === fetched.bytes ? "" : `, opened with the task key (${keys.who})`;
  return verdictItem(
    ITEM,
    "match",
    `re-scored on the test set ${root} (root verified${how}): accuracy ${score.accuracy}, log-loss ${score.logLoss}, as the model's metrics say`,
  );
}

/** The test set's plaintext: as stored when plaintext, else opened with a task key this verifier holds. */
function openTestSet(stored: Uint8Array, keys: RoundKeys): { plaintext: Uint8Array } | { encrypted: string } | { problem: string } {
  if (!isSealedArtifact(stored)) return { plaintext: stored };
  if (keys.keys.length === 0) return { encrypted: keys.who };
  for (const key of keys.keys) {
    try {
      return { plaintext: openArtifact(stored, key, taskEvaluationBinding(keys.ctx), "the test set") };
    } catch (error) {
      if (flaiErrorCode(error) !== "artifact-not-authentic") throw error;
    }
  }
  return { problem: `does not open with the task key ${keys.who} holds: the enclave could not have scored the model on it` };
}
