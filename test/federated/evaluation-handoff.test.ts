import { readFile, writeFile } from "node:fs/promises";

import { expect } from "chai";
import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import type { FlaiConnection } from "../../src/chain/connection.js";
import { parseGlobalModel } from "../../src/federated/global-model.js";
import { isSealedArtifact } from "../../src/privacy/artifact.js";
import type { LocalStorage } from "../../src/storage/local.js";
import type { ReadOptions } from "../../src/storage/types.js";
import { endIdleWorkers } from "../../src/tee/run-worker.js";

import { expectFlaiError } from "../helpers/assert.js";
import { federatedFixture, sampleTask, submitAll, type FederatedFixture } from "../helpers/federated.js";

/**
 * Issue 14, aggregation fetch: the host hands an enclave worker a task's evaluation set once; later
 * rounds send none and the worker uses the parse it verified itself. A worker without it refuses by
 * code and the host sends the bytes. The host reads the round's objects without re-rooting them, so
 * the enclave's own checks are what refuse tampered bytes on disk.
 */
/** The fewest clients a round without DP noise publishes (MIN_ROBUST_UPDATES' privacy floor). */
const CLIENTS = 3;

describe("fedavg: the evaluation set crosses into the enclave once per worker (issue 14)", function () {
  this.timeout(300_000);
  let hre: HardhatRuntimeEnvironment;
  let connection: FlaiConnection;
  let fx: FederatedFixture;
  let storage: LocalStorage;
  /** Every host read of a storage object during a test: its root and whether it was re-rooted. */
  let reads: { root: string; verify: boolean }[];

  before(async () => {
    fx = await federatedFixture({ holdout: 14, split: 15 }, CLIENTS);
    ({ hre, connection } = fx);
    storage = hre.flai.storage as LocalStorage;
    const read = storage.read.bind(storage);
    storage.read = (root: string, opts?: ReadOptions) => {
      reads.push({ root, verify: opts?.verify !== false });
      return read(root, opts);
    };
  });

  beforeEach(() => {
    reads = [];
  });

  const newTask = (rounds: number) => sampleTask(fx, rounds, CLIENTS);

  async function playRound(taskId: bigint) {
    await submitAll(fx, taskId, CLIENTS);
    reads = [];
    const round = await hre.flai.fedavg.aggregate({ taskId, connection });
    expect(round.accepted).to.have.length(CLIENTS);
    return round;
  }

  /** Where a (private) task stores its test set: its own copy, sealed with the task key. */
  async function evaluationRootOf(f: FederatedFixture, taskId: bigint): Promise<string> {
    const root = (await f.hre.flai.fedavg.readGlobalModel(taskId, { connection: f.connection })).model.federated.evaluationRoot;
    expect(root, "a private task's test set is its own sealed copy").to.not.equal(f.evaluation);
    return root;
  }

  const readsOf = (root: string) => reads.filter((r) => r.root === root).length;

  it("a second round in the same process does not re-send it; a fresh worker gets it again through the retry", async () => {
    const taskId = await newTask(3);
    const evaluation = await evaluationRootOf(fx, taskId);
    await playRound(taskId);

    await playRound(taskId);
    expect(readsOf(evaluation), "round 2: the worker of round 1 holds the evaluation set").to.equal(0);
    expect(reads.map((r) => r.verify)).to.not.include(true, "the enclave verifies the round's objects itself");

    await endIdleWorkers();
    const third = await playRound(taskId);
    expect(readsOf(evaluation), "round 3: a fresh worker refuses null, then gets the bytes once").to.equal(1);
    expect(third.metrics.accuracy).to.be.greaterThan(0.5);
  });

  it("another in-process chain's task with the same chain id, contract and task id gets its evaluation set sent, not assumed", async () => {
    await playRound(await newTask(1)); // this chain's tasks are handed
    const other = await federatedFixture({ holdout: 14, split: 15 }, CLIENTS);
    const otherStorage = other.hre.flai.storage as LocalStorage;
    const read = otherStorage.read.bind(otherStorage);
    otherStorage.read = (root: string, opts?: ReadOptions) => {
      reads.push({ root, verify: opts?.verify !== false });
      return read(root, opts);
    };
    const taskId = await sampleTask(other, 1, CLIENTS);
    expect(taskId <= (await newTask(1)), "the other chain's task id was used on this chain too").to.equal(true);
    const otherEvaluation = await evaluationRootOf(other, taskId);
    await submitAll(other, taskId, CLIENTS);
    await endIdleWorkers(); // a fresh worker holds no evaluation set: a wrong hint would cost a refused call
    reads = [];
    const round = await other.hre.flai.fedavg.aggregate({ taskId, connection: other.connection });
    expect(round.accepted).to.have.length(CLIENTS);
    const updateRoots = new Set(round.accepted.map((a) => a.updateRoot));
    expect(
      reads.filter((r) => updateRoots.has(r.root)),
      "each update read once: no refused call and retry",
    ).to.have.length(CLIENTS);
    expect(
      reads.filter((r) => r.root === otherEvaluation),
      "the evaluation set sent with the first call",
    ).to.have.length(1);
  });

  it("a tampered evaluation set on disk is refused by the enclave (the host no longer re-roots it)", async () => {
    const taskId = await newTask(1);
    const evaluation = await evaluationRootOf(fx, taskId);
    const object = storage.objectPath(evaluation as `0x${string}`);
    const original = await readFile(object);
    await endIdleWorkers();
    const tampered = Buffer.from(original);
    tampered[tampered.length - 2] = tampered[tampered.length - 2] === 0x30 ? 0x31 : 0x30;
    await writeFile(object, tampered);
    try {
      await submitAll(fx, taskId, CLIENTS);
      await expectFlaiError(() => hre.flai.fedavg.aggregate({ taskId, connection }), `does not have the committed root ${evaluation}`);
    } finally {
      await writeFile(object, original);
    }
  });

  it("a tampered update or global model on disk is refused by the enclave", async () => {
    const taskId = await newTask(1);
    await submitAll(fx, taskId, CLIENTS);
    const task = await hre.flai.fedavg.task(taskId, { connection });
    const modelObject = storage.objectPath(task.globalRoot as `0x${string}`);
    const model = await readFile(modelObject);
    const plaintext = (await hre.flai.fedavg.readGlobalModel(taskId, { connection })).bytes;
    const evaluation = parseGlobalModel(plaintext, "model").federated.evaluationRoot;
    expect(isSealedArtifact(await storage.read(evaluation)), "the task's test set is stored sealed").to.equal(true);
    // The task is private: its stored model is sealed, and one more byte fails its authentication.
    await writeFile(modelObject, Buffer.concat([model, Buffer.from(" ")]));
    try {
      await expectFlaiError(
        () => hre.flai.fedavg.aggregate({ taskId, connection }),
        "[previous-model-unreadable]",
        "Nothing was aggregated or signed",
      );
    } finally {
      await writeFile(modelObject, model);
    }

    const updates = await hre.flai.fedavg.recordedUpdates(taskId, 1, { connection });
    const updateObject = storage.objectPath(updates[0]!.updateRoot as `0x${string}`);
    const update = await readFile(updateObject);
    const flipped = Buffer.from(update);
    flipped[flipped.length >> 1]! ^= 0x01;
    await writeFile(updateObject, flipped);
    try {
      await expectFlaiError(() => hre.flai.fedavg.aggregate({ taskId, connection }), "does not match the hash recorded on-chain");
    } finally {
      await writeFile(updateObject, update);
    }
    const round = await hre.flai.fedavg.aggregate({ taskId, connection });
    expect(round.accepted).to.have.length(CLIENTS);
  });
});
