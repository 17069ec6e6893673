import { flaiError, flaiErrorCode } from "../errors.js";
import { isSealedArtifact, openArtifact, sealArtifact, type ArtifactBinding } from "../privacy/artifact.js";
import { parseKeyring, unwrapTaskKey, type KeyringContext, type ReaderIdentity } from "../privacy/keyring.js";
import { sha256Hex } from "../util/sha256.js";

import { inputRefusalTag } from "./input-checks.js";

/**
 * A private task's models, sealed with its task key K (issue 17). Shared by the enclave (which opens
 * the previous model and seals the new one) and every reader (creator, clients, the serving enclave,
 * a verifier holding a key). No `ethers` root import: the enclave worker reaches this module.
 */

/** The task a model belongs to: what its artifacts and keyrings are bound to. */
export type TaskContext = KeyringContext;

/**
 * What the model of `round` is sealed to. Round 0 is the initial model, sealed before createTask
 * gives the task its id: bound to id 0 (like a job's inputs). That binds it to no task, but K is
 * fresh random bytes per task, so another task's initial model never opens under this task's key.
 */
export function taskModelBinding(ctx: TaskContext, round: number): ArtifactBinding {
  return round === 0
    ? { chainId: ctx.chainId, contract: ctx.contract, kind: "task-initial-model", id: 0n, round: 0 }
    : { chainId: ctx.chainId, contract: ctx.contract, kind: "task-model", id: ctx.taskId, round };
}

/** Seals the plaintext model of `round` with the task key. */
export function sealTaskModel(plaintext: Uint8Array, taskKey: Uint8Array, ctx: TaskContext, round: number): Uint8Array {
  return sealArtifact(plaintext, taskKey, taskModelBinding(ctx, round));
}

/**
 * Opens a stored model of `round` with the task key and checks its plaintext against the on-chain
 * hash. Codes: "artifact-not-authentic" (wrong key, altered bytes, another round) from openArtifact,
 * "model-hash-mismatch" when it opens but is not the model the chain names.
 */
export function openTaskModel(stored: Uint8Array, taskKey: Uint8Array, ctx: TaskContext, round: number, hash: string): Uint8Array {
  const where = `task ${ctx.taskId}'s ${round === 0 ? "initial model" : `round ${round} global model`}`;
  const plaintext = openArtifact(stored, taskKey, taskModelBinding(ctx, round), where);
  const actual = sha256Hex(plaintext);
  if (actual !== hash.toLowerCase()) {
    throw flaiError(`${where} opens, but its plaintext hashes to ${actual}, not the on-chain ${hash}.`, undefined, {
      code: "model-hash-mismatch",
    });
  }
  return plaintext;
}

/**
 * Every task key the keyrings wrap for `me` (one per keyring that names it and opens): a keyring is
 * only as good as the creator who published it, which the caller checks (the host: on-chain roots;
 * the enclave: by the key opening the on-chain-hashed model). Why each keyring gave none is kept for
 * the error.
 */
export function taskKeysFor(
  keyrings: readonly Uint8Array[],
  me: ReaderIdentity,
  ctx: TaskContext,
): { keys: Uint8Array[]; reasons: string[]; codes: string[] } {
  const keys: Uint8Array[] = [];
  const reasons: string[] = [];
  const codes: string[] = [];
  keyrings.forEach((bytes, i) => {
    try {
      keys.push(unwrapTaskKey(parseKeyring(bytes, `keyring ${i + 1}`), me, ctx));
    } catch (error) {
      reasons.push(`keyring ${i + 1}: ${(error as Error).message}`);
      codes.push(flaiErrorCode(error) ?? "keyring-invalid");
    }
  });
  return { keys, reasons, codes };
}

/** What the enclave starts a round from: the previous model's plaintext and, for a private task, K. */
export interface OpenedModel {
  plaintext: Uint8Array;
  /** null for a public task (its models are stored in plaintext). */
  taskKey: Uint8Array | null;
}

/**
 * Inside the enclave: the model round `round` starts from. Privacy follows the stored bytes, never a
 * host flag: plaintext bytes must hash to the on-chain previous hash themselves (checkRoundInputs);
 * sealed bytes are opened with a K unwrapped from the enclave's own entry in a host-handed keyring.
 * A host-made keyring wraps a K' that cannot open the real previous model (authenticated), so the
 * round is refused before anything is computed or signed — the enclave never takes K on a host's word.
 */
export function openPreviousModel(
  stored: Uint8Array,
  keyrings: readonly Uint8Array[] | undefined,
  me: ReaderIdentity,
  ctx: TaskContext,
  round: number,
): OpenedModel {
  if (!isSealedArtifact(stored)) return { plaintext: stored, taskKey: null };
  const handed = keyrings ?? [];
  const { keys, codes } = taskKeysFor(handed, me, ctx);
  const binding = taskModelBinding(ctx, round - 1);
  for (const key of keys) {
    try {
      return { plaintext: openArtifact(stored, key, binding, "the previous global model"), taskKey: key };
    } catch (error) {
      if (flaiErrorCode(error) !== "artifact-not-authentic") throw error;
      codes.push("key-does-not-open-the-model");
    }
  }
  // By code, not by message: one line however many keyrings the host handed.
  const why = handed.length === 0 ? "no keyring was handed" : `${handed.length} keyring(s) handed: ${[...new Set(codes)].join(", ")}`;
  throw flaiError(
    `${inputRefusalTag("previous-model-unreadable")}The previous global model of task ${ctx.taskId} is encrypted, and no keyring ` +
      `handed to the enclave gives it the task's key (${why}). ` +
      `Nothing was aggregated or signed. The task's creator admits the enclave ${me.address} with flai:fl-create (at creation) ` +
      `or flai:fl-admit --task ${ctx.taskId} --clients ${me.address}.`,
    undefined,
    { code: "previous-model-unreadable" },
  );
}

/**
 * What a private task's evaluation (test) set is sealed to. Like the initial model it is sealed
 * before createTask gives the task an id (id 0, round 0); its own kind keeps it from opening as a
 * model, and K (fresh per task) keeps another task's set from opening under this task's key.
 */
export function taskEvaluationBinding(ctx: Pick<TaskContext, "chainId" | "contract">): ArtifactBinding {
  return { chainId: ctx.chainId, contract: ctx.contract, kind: "task-evaluation", id: 0n, round: 0 };
}

/** Seals a private task's evaluation set with the task key (fl-create, before the task exists). */
export function sealTaskEvaluation(plaintext: Uint8Array, taskKey: Uint8Array, ctx: Pick<TaskContext, "chainId" | "contract">): Uint8Array {
  return sealArtifact(plaintext, taskKey, taskEvaluationBinding(ctx));
}

/**
 * Inside the enclave: the evaluation set's plaintext from its stored bytes (already rooted against
 * the root the authenticated model commits). Privacy follows the bytes, as for models: plaintext is
 * used as is (a public task, or a creator who chose to commit a plaintext set); sealed bytes open
 * only with the task key that opened the previous model. A sealed set the key does not open (another
 * task's, or one sealed under another key) or one a public task (no key) commits is refused with the
 * code "evaluation-unreadable": nothing is evaluated or signed.
 */
export function openTaskEvaluation(
  stored: Uint8Array,
  taskKey: Uint8Array | null,
  ctx: Pick<TaskContext, "chainId" | "contract" | "taskId">,
  root: string,
): Uint8Array {
  if (!isSealedArtifact(stored)) return stored;
  let why = "the task is public (its models are plaintext), so the enclave holds no task key for it";
  if (taskKey !== null) {
    try {
      return openArtifact(stored, taskKey, taskEvaluationBinding(ctx), `task ${ctx.taskId}'s evaluation set ${root}`);
    } catch (error) {
      if (flaiErrorCode(error) !== "artifact-not-authentic") throw error;
      why = "it does not open with the task key that opens the task's models (another task's set, or sealed under another key)";
    }
  }
  throw flaiError(
    `${inputRefusalTag("evaluation-unreadable")}Task ${ctx.taskId}'s evaluation set ${root} is encrypted, and ${why}. ` +
      `Nothing was aggregated or signed. The task's creator seals its test set with the task's own key (flai:fl-create --test); ` +
      `a task committed to an unreadable set cannot be aggregated: create it again.`,
    undefined,
    { code: "evaluation-unreadable" },
  );
}
