import { flaiError } from "../errors.js";

import { updatesAccumulator, type AccumulatedUpdate } from "./accumulator.js";
import { sha256Hex } from "../util/sha256.js";

/**
 * Why the enclave refuses to aggregate at all: the inputs the host handed it are not the ones the
 * round result will be bound to. The code leads the message as "[code] " (like rejections.ts's
 * round refusals), so callers decide by the code.
 */
export const INPUT_REFUSALS = [
  /** The model bytes do not hash to the previous global hash the result is to be signed over. */
  "previous-model-mismatch",
  /** The update list does not rebuild the round's on-chain accumulator (fake, extra, missing or reordered updates). */
  "update-set-mismatch",
  /** A private task's previous model is sealed and no handed keyring gives the enclave its task key (task-models.ts). */
  "previous-model-unreadable",
  /** A task's evaluation set is sealed and does not open with the task key that opened its model (task-models.ts). */
  "evaluation-unreadable",
  /** A private task's previous model ("federated.sealed") handed in plaintext (aggregator.ts). */
  "private-model-in-clear",
] as const;
export type InputRefusal = (typeof INPUT_REFUSALS)[number];

export const inputRefusalTag = (code: InputRefusal) => `[${code}] `;

/** The code of an input refusal in an error message, if it is one. */
export function inputRefusalOf(error: unknown): InputRefusal | undefined {
  const message = error instanceof Error ? error.message : String(error);
  return INPUT_REFUSALS.find((code) => message.includes(inputRefusalTag(code)));
}

/** What the host asks the enclave to sign over, as the chain states it. */
export interface ClaimedInputs {
  taskId: bigint;
  round: number;
  /** The task's current global model hash (FLAIFederated.getTask().globalHash). */
  globalHash: string;
  /** The round's accumulator and update count (FLAIFederated.getRound()). */
  updatesAccumulator: string;
  updateCount: number;
}

/**
 * Inside the enclave, before anything else: recompute the previous model hash from the bytes and
 * the accumulator from the updates (in the order given, which must be record order). Returns the
 * values the result is signed over; they are computed here, never copied from the host.
 */
export function checkRoundInputs(
  claimed: ClaimedInputs,
  globalModel: Uint8Array,
  updates: readonly AccumulatedUpdate[],
): { previousGlobalHash: string; updatesAccumulator: string; updateCount: number } {
  const previousGlobalHash = sha256Hex(globalModel);
  if (previousGlobalHash !== claimed.globalHash.toLowerCase()) {
    throw flaiError(
      `${inputRefusalTag("previous-model-mismatch")}The global model handed to the enclave hashes to ${previousGlobalHash}, ` +
        `not the task's on-chain global model ${claimed.globalHash}: the enclave aggregates only from the task's current model.`,
    );
  }
  // A field the chain cannot hold (e.g. a num_examples beyond uint64) cannot be a recorded update.
  let accumulator: string;
  try {
    accumulator = updatesAccumulator(claimed.taskId, claimed.round, updates);
  } catch (error) {
    accumulator = `(none: ${(error as Error).message.split("(")[0]!.trim()})`;
  }
  if (updates.length !== claimed.updateCount || accumulator !== claimed.updatesAccumulator.toLowerCase()) {
    throw flaiError(
      `${inputRefusalTag("update-set-mismatch")}The ${updates.length} updates handed to the enclave rebuild the accumulator ${accumulator}, ` +
        `not round ${claimed.round}'s on-chain ${claimed.updatesAccumulator} over ${claimed.updateCount} recorded updates: ` +
        `the enclave aggregates exactly the recorded updates, in record order (UpdateRecorded events).`,
    );
  }
  return { previousGlobalHash, updatesAccumulator: accumulator, updateCount: updates.length };
}
