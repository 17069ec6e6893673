import { createHash } from "node:crypto";

import { updatesAccumulator } from "../../src/federated/accumulator.js";
import type { AggregateRequest, RecordedUpdate } from "../../src/federated/aggregator.js";
import { sealUpdate } from "../../src/federated/envelope.js";
import { encodeUpdate, type ClientUpdate } from "../../src/federated/update.js";
import { computeRoot } from "../../src/storage/merkle.js";

// Round 1 of an in-memory task as the enclave's round program gets it (runAggregation): clients'
// updates sealed to the enclave, then the request a host makes over exactly those recorded updates.
// Shared by the tests that attack or probe what the enclave computes (attacks, drift-protocol).

const sha256 = (b: Uint8Array) => "0x" + createHash("sha256").update(b).digest("hex");

/** The enclave, contract and clients a test's round-1 requests are for. */
export interface RoundOneSetup {
  enclaveDir: string;
  encryptionKey: string;
  contract: string;
  evaluation: Uint8Array;
  clientAddress: (i: number) => string;
}

/** A task as these tests make it: its initial model's bytes and its id. */
export interface TaskBytes {
  bytes: Uint8Array;
  taskId: string;
}

/** What a client sends: its delta, num_examples and (with drift correction) its gradient. */
export type SentUpdate = Pick<ClientUpdate, "delta" | "numExamples" | "gradient">;

/** The updates as recorded: client i's update, trained from `task`'s model, sealed to the enclave for round 1. */
export function sealRoundOne(setup: RoundOneSetup, task: TaskBytes, updates: readonly SentUpdate[]): RecordedUpdate[] {
  const globalHash = sha256(task.bytes);
  return updates.map((u, i) => {
    const client = setup.clientAddress(i);
    const update: ClientUpdate = {
      delta: u.delta,
      numExamples: u.numExamples,
      metrics: { loss: 0.5, accuracy: 0.5 },
      baseModelHash: globalHash,
    };
    if (u.gradient !== undefined) update.gradient = u.gradient;
    const ciphertext = sealUpdate(encodeUpdate(update), setup.encryptionKey, {
      chainId: 31337n,
      contract: setup.contract,
      taskId: BigInt(task.taskId),
      round: 1,
      client,
    });
    return { client, updateRoot: computeRoot(ciphertext), updateHash: sha256(ciphertext), numExamples: u.numExamples, ciphertext };
  });
}

/** The request a host makes for round 1 of `task` over exactly these recorded updates, as the chain would state them. */
export function roundOneRequest(setup: RoundOneSetup, task: TaskBytes, recorded: RecordedUpdate[]): AggregateRequest {
  return {
    enclaveDir: setup.enclaveDir,
    binding: { chainId: "31337", contract: setup.contract, taskId: task.taskId, round: 1 },
    globalModel: task.bytes,
    globalHash: sha256(task.bytes),
    // The accumulator over exactly these updates, in this order.
    updatesAccumulator: updatesAccumulator(BigInt(task.taskId), 1, recorded),
    updateCount: recorded.length,
    evaluation: setup.evaluation,
    updates: recorded,
  };
}
