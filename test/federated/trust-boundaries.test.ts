import { createHash } from "node:crypto";
import { readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";

import { expect } from "chai";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/types";
import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";
import { Contract, hexlify, keccak256, toUtf8Bytes } from "ethers";

import type { FlaiConnection } from "../../src/chain/connection.js";
import { updatesAccumulator } from "../../src/federated/accumulator.js";
import { runAggregation, type AggregateRequest, type RecordedUpdate } from "../../src/federated/aggregator.js";
import { inputRefusalOf } from "../../src/federated/input-checks.js";
import { signRoundCloseInEnclave } from "../../src/federated/round-close.js";
import { sealUpdate } from "../../src/federated/envelope.js";
import { encodeUpdate } from "../../src/federated/update.js";
import { globalModelBytes } from "../../src/federated/global-model.js";
import { loadFlaiArtifact } from "../../src/chain/artifact.js";
import { compactSignature } from "../../src/tee/job-result-signature.js";
import { decodeRevert } from "../../src/chain/revert.js";
import type { Dataset } from "../../src/ml/dataset.js";

import { expectFlaiError } from "../helpers/assert.js";
import { federatedFixture, readersOf } from "../helpers/federated.js";
import { FIXTURES } from "../helpers/project.js";

/**
 * Issue 11, federated rounds: each attack on the round's inputs, close, cancellation, weights and the
 * clients' encryption key, played end to end against the contracts and the enclave. Every test fails
 * if the attack goes through.
 */
describe("fedavg: trust boundaries of a round (issue 11)", function () {
  this.timeout(300_000);
  let hre: HardhatRuntimeEnvironment;
  let connection: FlaiConnection;
  let signers: HardhatEthersSigner[];
  let shares: Dataset[];
  let evaluation: string;

  before(async () => {
    ({ hre, connection, signers, shares, evaluation } = await federatedFixture({ holdout: 5, split: 6 }));
  });

  async function newTask(opts: { quorum?: number; maxClients?: number; roundDuration?: number } = {}) {
    const created = await hre.flai.fedavg.createTask({
      model: path.join(FIXTURES, "model.json"),
      evaluation,
      standardizeOn: shares[0]!,
      rounds: 2,
      quorum: opts.quorum ?? 3,
      maxClients: opts.maxClients,
      roundDuration: opts.roundDuration,
      reward: "1",
      // Private (the default): the clients these tests run (signers 1..11) are admitted at creation.
      clients: await readersOf(hre, connection, signers.slice(1, 12)),
      connection,
    });
    return created.task.id;
  }

  async function federated(signer: HardhatEthersSigner = signers[0]!): Promise<Contract> {
    const deployment = await hre.flai.jobs.deployment({ connection });
    return new Contract(deployment.federated, loadFlaiArtifact("FLAIFederated").abi, signer);
  }

  /** The custom error a contract call reverts with (fails the test if it does not revert). */
  async function revertOf(contract: Contract, call: Promise<unknown>): Promise<{ name: string; args: readonly unknown[] }> {
    try {
      await call;
    } catch (error) {
      const decoded = decodeRevert(error, contract.interface);
      if (decoded === undefined) throw error;
      return decoded;
    }
    return expect.fail("expected a revert, but the call went through");
  }

  async function runClients(taskId: bigint, from: number, count: number) {
    for (let i = 0; i < count; i++) {
      await hre.flai.fedavg.runClient({ taskId, data: shares[i % shares.length]!, signer: signers[from + i], connection });
    }
  }

  /** What an honest aggregator host hands the enclave for the current round (the round closed first). */
  async function honestRequest(taskId: bigint): Promise<{ request: AggregateRequest; round: number }> {
    const fed = await federated();
    const task = await hre.flai.fedavg.task(taskId, { connection });
    const round = task.currentRound;
    const info = await fed.getFunction("getRound")(taskId, round);
    if (!info.closed) await close(taskId, round);
    const logs = (await fed.queryFilter(fed.filters.UpdateRecorded!(taskId, round))) as Array<{
      args: unknown[];
      blockNumber: number;
      index: number;
    }>;
    logs.sort((a, b) => a.blockNumber - b.blockNumber || a.index - b.index);
    const updates: RecordedUpdate[] = await Promise.all(
      logs.map(async (log) => {
        const [, , client, updateRoot, updateHash, numExamples] = log.args as [bigint, bigint, string, string, string, bigint];
        return { client, updateRoot, updateHash, numExamples: Number(numExamples), ciphertext: await hre.flai.storage.read(updateRoot) };
      }),
    );
    const deployment = await hre.flai.jobs.deployment({ connection });
    const globalModel = await hre.flai.storage.read(task.globalRoot);
    const frozen = await fed.getFunction("getRound")(taskId, round);
    // A private task: the model as stored is sealed; the enclave takes the task key from its keyring entry.
    const keyringLogs = (await fed.queryFilter(fed.filters.KeyringPublished!(taskId))) as unknown as Array<{
      args: { keyringRoot: string };
    }>;
    const keyrings = await Promise.all(keyringLogs.map((log) => hre.flai.storage.read(log.args.keyringRoot)));
    const plaintext = (await hre.flai.fedavg.readGlobalModel(taskId, { connection })).model;
    return {
      round,
      request: {
        enclaveDir: hre.flai.teeSim.dir,
        binding: { chainId: deployment.chainId.toString(), contract: deployment.federated, taskId: taskId.toString(), round },
        globalModel,
        globalHash: task.globalHash,
        keyrings,
        updatesAccumulator: frozen.updatesAccumulator as string,
        updateCount: Number(frozen.updateCount),
        evaluation: await hre.flai.storage.read(plaintext.federated.evaluationRoot),
        updates,
      },
    };
  }

  /** The enclave's signed RoundClose, relayed by anyone. */
  async function close(taskId: bigint, round: number) {
    const deployment = await hre.flai.jobs.deployment({ connection });
    const { signature } = await signRoundCloseInEnclave({
      enclaveDir: hre.flai.teeSim.dir,
      binding: { chainId: deployment.chainId.toString(), contract: deployment.federated, taskId: taskId.toString(), round },
    });
    const { r, vs } = compactSignature(signature);
    await (await (await federated(signers[19])).getFunction("closeRound")(taskId, round, r, vs)).wait();
  }

  async function finalize(taskId: bigint, round: number, response: Awaited<ReturnType<typeof runAggregation>>) {
    const { r, vs } = compactSignature(response.signature);
    const result = { ...response.result, acceptedWeight: BigInt(response.result.acceptedWeight) };
    const fed = await federated(signers[19]);
    return { fed, call: fed.getFunction("finalizeRound")(taskId, round, result, r, vs) };
  }

  async function increaseTime(seconds: number) {
    await connection.provider.request({ method: "evm_increaseTime", params: [seconds] });
    await connection.provider.request({ method: "evm_mine", params: [] });
  }

  describe("the host chooses the round's inputs", () => {
    it("fake previous model: the enclave refuses it, and a result signed over it does not finalize", async () => {
      const taskId = await newTask();
      await runClients(taskId, 1, 3);
      const { request, round } = await honestRequest(taskId);
      // The host's own "previous model": another model with the task's rules.
      const fake = (await hre.flai.fedavg.readGlobalModel(taskId, { connection })).model;
      fake.weights = fake.weights.map(() => 5);
      // Handed in plaintext while it still says it is a private task's model: refused at once …
      const stillSealed = globalModelBytes(fake);
      const refusedClear = await runAggregation({
        ...request,
        globalModel: stillSealed,
        globalHash: "0x" + createHash("sha256").update(stillSealed).digest("hex"),
      }).catch((error: unknown) => error);
      expect(inputRefusalOf(refusedClear), String(refusedClear)).to.equal("private-model-in-clear");
      // … so the host's fake drops "sealed". A plaintext fake gives the enclave no task key, so it cannot open
      // the task's sealed test set …
      delete fake.federated.sealed;
      const withSealedSet = globalModelBytes(fake);
      const refusedSealed = await runAggregation({
        ...request,
        globalModel: withSealedSet,
        globalHash: "0x" + createHash("sha256").update(withSealedSet).digest("hex"),
      }).catch((error: unknown) => error);
      expect(inputRefusalOf(refusedSealed), String(refusedSealed)).to.equal("evaluation-unreadable");
      // … so the host's fake also names a plaintext test set of its own (the fixture's, uploaded in plaintext).
      fake.federated.evaluationRoot = evaluation;
      const fakeBytes = globalModelBytes(fake);
      const refused = await runAggregation({ ...request, globalModel: fakeBytes }).catch((error: unknown) => error);
      expect(inputRefusalOf(refused), String(refused)).to.equal("previous-model-mismatch");

      // The full attack: a fake model, fake clients' updates trained from it, and the host states both as the
      // round's inputs. The enclave signs what it was given; the contract refuses it.
      const fakeHash = "0x" + createHash("sha256").update(fakeBytes).digest("hex");
      const deployment = await hre.flai.jobs.deployment({ connection });
      const key = (await hre.flai.jobs.enclaveKey((await hre.flai.fedavg.task(taskId, { connection })).enclave, { connection }))
        .encryptionKey;
      const sybils: RecordedUpdate[] = [];
      for (const s of signers.slice(12, 15)) {
        const plain = encodeUpdate({
          delta: new Float64Array(fake.features + 1).fill(0.5),
          gradient: new Float64Array(fake.features + 1).fill(0.5), // the task corrects drift (the fedavg default)
          numExamples: 100,
          metrics: { loss: 0.1, accuracy: 0.9 },
          baseModelHash: fakeHash,
        });
        const ciphertext = sealUpdate(plain, key, {
          chainId: deployment.chainId,
          contract: deployment.federated,
          taskId,
          round,
          client: s.address,
        });
        const stored = await hre.flai.storage.upload(ciphertext);
        sybils.push({
          client: s.address,
          updateRoot: stored.root,
          updateHash: "0x" + createHash("sha256").update(ciphertext).digest("hex"),
          numExamples: 100,
          ciphertext,
        });
      }
      const signed = await runAggregation({
        ...request,
        evaluation: await hre.flai.storage.read(evaluation),
        globalModel: fakeBytes,
        globalHash: fakeHash,
        updates: sybils,
        updatesAccumulator: updatesAccumulator(taskId, round, sybils),
        updateCount: sybils.length,
      });
      expect(signed.accepted).to.have.length(3);
      expect(signed.result.previousGlobalHash).to.equal(fakeHash);
      const { fed, call } = await finalize(taskId, round, signed);
      const revert = await revertOf(fed, call);
      expect(revert.name).to.equal("PreviousModelMismatch");
      expect((await hre.flai.fedavg.task(taskId, { connection })).globalHash).to.equal(request.globalHash);
    });

    it("fake or extra updates: the enclave refuses a set that is not the recorded one; a signature over another accumulator reverts", async () => {
      const taskId = await newTask();
      await runClients(taskId, 1, 3);
      const { request, round } = await honestRequest(taskId);
      // One extra update (a sybil's, well formed) appended to the recorded ones.
      const sybil = { ...request.updates[0]!, client: signers[15]!.address };
      const extra = await runAggregation({ ...request, updates: [...request.updates, sybil] }).catch((error: unknown) => error);
      expect(inputRefusalOf(extra), String(extra)).to.equal("update-set-mismatch");
      // One recorded update dropped, and the same set reordered: refused too.
      const dropped = await runAggregation({ ...request, updates: request.updates.slice(1) }).catch((error: unknown) => error);
      expect(inputRefusalOf(dropped)).to.equal("update-set-mismatch");
      const reordered = await runAggregation({ ...request, updates: [...request.updates].reverse() }).catch((error: unknown) => error);
      expect(inputRefusalOf(reordered)).to.equal("update-set-mismatch");

      // The honest result first (the enclave commits to one update set per round, so a host that wants a
      // second result must delete the enclave's sealed round record, as it can on the simulated TEE).
      const honest = await runAggregation(request);
      await rm(path.join(hre.flai.teeSim.dir, "rounds"), { recursive: true, force: true });
      // The host states the accumulator of its own (fake) set: the enclave signs it, the contract refuses it.
      const fakeSet = [...request.updates, sybil];
      const taskIdBig = BigInt(request.binding.taskId);
      const signed = await runAggregation({
        ...request,
        updates: fakeSet,
        updatesAccumulator: updatesAccumulator(taskIdBig, round, fakeSet),
        updateCount: fakeSet.length,
      });
      const { fed, call } = await finalize(taskId, round, signed);
      const revert = await revertOf(fed, call);
      expect(revert.name).to.equal("UpdateSetMismatch");
      expect(revert.args[3]).to.equal(request.updatesAccumulator);

      // The honest set finalizes.
      await ((await (await finalize(taskId, round, honest)).call) as { wait(): Promise<unknown> }).wait();
      expect((await hre.flai.fedavg.task(taskId, { connection })).currentRound).to.equal(2);
    });
  });

  describe("late updates and front-running", () => {
    it("a late update after close reverts, and the pending finalize still lands", async () => {
      const taskId = await newTask({ quorum: 3 });
      await runClients(taskId, 1, 3);
      const { request, round } = await honestRequest(taskId); // closes the round (enclave-signed)
      const response = await runAggregation(request);
      // A front-runner's update, through the plugin (refused before any work) and straight to the contract.
      await expectFlaiError(() => runClients(taskId, 5, 1), `Round ${round} of task ${taskId} is closed`);
      const late = await federated(signers[6]);
      const revert = await revertOf(
        late,
        late.getFunction("recordUpdate")(taskId, round, keccak256(toUtf8Bytes("root")), keccak256(toUtf8Bytes("hash")), 10),
      );
      expect(revert.name).to.equal("UpdatesClosed");
      await ((await (await finalize(taskId, round, response)).call) as { wait(): Promise<unknown> }).wait();
      expect((await hre.flai.fedavg.status(taskId, { connection })).rounds[0]!.finalized).to.equal(true);
    });

    it("a round closes itself at maxClients; aggregate needs no close then", async () => {
      const taskId = await newTask({ quorum: 2, maxClients: 3 });
      await runClients(taskId, 1, 3);
      const round = (await hre.flai.fedavg.status(taskId, { connection })).rounds[0]!;
      expect(round.closed).to.equal(true);
      expect(round.maxClients).to.equal(3);
      await expectFlaiError(() => runClients(taskId, 4, 1), "is closed", "maximum of 3 clients");
      const agg = await hre.flai.fedavg.aggregate({ taskId, connection });
      expect(agg.accepted).to.have.length(3);
    });
  });

  describe("cancel after the work is done", () => {
    it("cancel of a round that met its quorum reverts within its finalize window; of a failed round it works", async () => {
      const taskId = await newTask({ quorum: 3, roundDuration: 600 });
      await runClients(taskId, 1, 3); // the quorum arrived in time
      await increaseTime(601);
      const creator = await federated(signers[0]);
      const revert = await revertOf(creator, creator.getFunction("cancelTask")(taskId));
      expect(revert.name).to.equal("RoundNotFailed");
      // The aggregator's result still lands (closed by the deadline), and pays.
      const agg = await hre.flai.fedavg.aggregate({ taskId, connection });
      expect(agg.round).to.equal(1);

      const failed = await newTask({ quorum: 3, roundDuration: 600 });
      await runClients(failed, 1, 2); // one short
      await increaseTime(601);
      await (await creator.getFunction("cancelTask")(failed)).wait();
      expect((await hre.flai.fedavg.task(failed, { connection })).status).to.equal("cancelled");
    });
  });

  describe("weights and totals", () => {
    it("a client claiming 2^53 − 1 samples cannot record it: totals stay far inside uint64", async () => {
      const taskId = await newTask({ quorum: 2 });
      const fed = await federated(signers[7]);
      const revert = await revertOf(
        fed,
        fed.getFunction("recordUpdate")(taskId, 1, keccak256(toUtf8Bytes("r")), keccak256(toUtf8Bytes("h")), 2n ** 53n - 1n),
      );
      expect(revert.name).to.equal("NumExamplesTooLarge");
      const max = (await fed.getFunction("MAX_NUM_EXAMPLES")()) as bigint;
      expect(max).to.equal(2n ** 32n - 1n);
      // maxClients is a uint16: the largest possible round's recorded total still fits a uint64.
      expect(max * 65535n < 2n ** 64n).to.equal(true);
      await expectFlaiError(
        () =>
          hre.flai.fedavg.submitCiphertext({
            taskId,
            signer: signers[8],
            ciphertext: new Uint8Array([1, 2, 3]),
            numExamples: 2 ** 53 - 1,
            connection,
          }),
        "num_examples 9007199254740991",
      );
    });
  });

  describe("keys from the chain", () => {
    it("a client never encrypts to a key that is not on chain: a rewritten identity.json is ignored, and an unregistered enclave gets nothing", async () => {
      const taskId = await newTask({ quorum: 3 });
      // The host rewrites the enclave's public identity file with a key it holds.
      const file = path.join(hre.flai.teeSim.dir, "identity.json");
      const original = await readFile(file, "utf8");
      const identity = JSON.parse(original) as { encryptionKey: string };
      await writeFile(file, JSON.stringify({ ...identity, encryptionKey: hexlify(keccak256(toUtf8Bytes("the host's own key"))) }));
      try {
        await runClients(taskId, 1, 3);
      } finally {
        await writeFile(file, original);
      }
      // The updates open inside the enclave: they were sealed to the registered key, not the file's.
      const agg = await hre.flai.fedavg.aggregate({ taskId, connection });
      expect(agg.accepted).to.have.length(3);
      expect(agg.rejected).to.have.length(0);

      // The registry's owner removes the enclave: clients refuse to seal anything for the task.
      const deployment = await hre.flai.jobs.deployment({ connection });
      const registry = new Contract(deployment.address, loadFlaiArtifact("FLAIComputeJobs").abi, signers[0]);
      const task = await hre.flai.fedavg.task(taskId, { connection });
      await (await registry.getFunction("removeEnclave")(task.enclave)).wait();
      await expectFlaiError(() => runClients(taskId, 4, 1), "No update is sealed", `task ${taskId}`);
    });
  });
});
