import path from "node:path";

import { expect } from "chai";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/types";
import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";
import { x25519 } from "@noble/curves/ed25519.js";
import { hexlify } from "ethers";

import type { FlaiConnection } from "../../src/chain/connection.js";
import { sealUpdate } from "../../src/federated/envelope.js";
import { modelParameters } from "../../src/federated/global-model.js";
import type { StrategyConfig } from "../../src/federated/strategies.js";
import { encodeUpdate, type ClientUpdate } from "../../src/federated/update.js";
import type { Dataset } from "../../src/ml/dataset.js";

import { expectFlaiError } from "../helpers/assert.js";
import { federatedFixture, readersOf } from "../helpers/federated.js";
import { FIXTURES } from "../helpers/project.js";

describe("fedavg: what the enclave rejects, and bad input at the task level", function () {
  this.timeout(300_000);
  let hre: HardhatRuntimeEnvironment;
  let connection: FlaiConnection;
  let signers: HardhatEthersSigner[];
  let shares: Dataset[];
  let evaluationRoot: string;
  let modelRoot: string;

  before(async () => {
    ({ hre, connection, signers, shares, evaluation: evaluationRoot } = await federatedFixture({ holdout: 3, split: 4 }));
    modelRoot = (await hre.flai.storage.upload(path.join(FIXTURES, "model.json"))).root;
  });

  async function newTask(opts: { rounds?: number; quorum?: number; strategy?: StrategyConfig; roundDuration?: number } = {}) {
    const created = await hre.flai.fedavg.createTask({
      model: modelRoot,
      evaluation: evaluationRoot,
      standardizeOn: shares[0]!,
      rounds: opts.rounds ?? 2,
      quorum: opts.quorum ?? 2,
      roundDuration: opts.roundDuration,
      reward: "1",
      strategy: opts.strategy,
      // These tests are about rejections and task errors, in rounds of 1 to 4 clients; the minimum of
      // accepted updates per published round (privacy of small rounds) is tested in fedavg-attacks.
      rules: { minAccepted: 1 },
      clients: await readersOf(hre, connection, signers.slice(1, 8)),
      connection,
    });
    return created.task.id;
  }

  /** What a client would send this round, sealed to the task's enclave for `client`. */
  async function sealed(taskId: bigint, client: string, update: ClientUpdate, encryptionKey?: string) {
    const task = await hre.flai.fedavg.task(taskId, { connection });
    const deployment = await hre.flai.jobs.deployment({ connection });
    const key = encryptionKey ?? (await hre.flai.teeSim.identity()).encryptionKey;
    return sealUpdate(encodeUpdate(update), key, {
      chainId: deployment.chainId,
      contract: deployment.federated,
      taskId,
      round: task.currentRound,
      client,
    });
  }

  function honestUpdate(globalHash: string, dimension = 9, value = 0.01): ClientUpdate {
    return {
      delta: new Float64Array(dimension).fill(value),
      numExamples: 50,
      metrics: { loss: 0.1, accuracy: 0.9 },
      baseModelHash: globalHash,
    };
  }

  it("rejects tampered, misaddressed, replayed, stolen, NaN and wrongly sized updates, each with its reason", async () => {
    const { fedavg } = hre.flai;
    const taskId = await newTask();
    const [, a, b, c, d, e, f, g] = signers;
    const submit = (signer: HardhatEthersSigner, ciphertext: Uint8Array, numExamples = 50) =>
      fedavg.submitCiphertext({ taskId, signer, ciphertext, numExamples, connection });
    await fedavg.runClient({ taskId, data: shares[0]!, signer: a, connection });
    await fedavg.runClient({ taskId, data: shares[1]!, signer: b, connection });
    const globalHash = (await fedavg.task(taskId, { connection })).globalHash;

    const tampered = await sealed(taskId, c!.address, honestUpdate(globalHash));
    tampered[tampered.length - 1]! ^= 1;
    await submit(c!, tampered);
    const otherKey = hexlify(x25519.getPublicKey(x25519.utils.randomSecretKey()));
    await submit(d!, await sealed(taskId, d!.address, honestUpdate(globalHash), otherKey));
    const nan = encodeUpdate(honestUpdate(globalHash));
    new DataView(nan.buffer, nan.byteOffset).setFloat64(nan.length - 8, Number.NaN, true);
    const deployment = await hre.flai.jobs.deployment({ connection });
    await submit(
      e!,
      sealUpdate(nan, (await hre.flai.teeSim.identity()).encryptionKey, {
        chainId: deployment.chainId,
        contract: deployment.federated,
        taskId,
        round: 1,
        client: e!.address,
      }),
    );
    await submit(f!, await sealed(taskId, f!.address, honestUpdate(globalHash, 5)));
    const stolen = await sealed(taskId, a!.address, honestUpdate(globalHash));
    await submit(g!, stolen);

    const round1 = await fedavg.aggregate({ taskId, connection });
    expect(round1.accepted.map((x) => x.client)).to.have.members([a!.address, b!.address]);
    const reason = (s: HardhatEthersSigner) => round1.rejected.find((r) => r.client === s.address)?.reason ?? "(accepted)";
    expect(reason(c!)).to.match(/authentication/);
    expect(reason(d!)).to.match(/another enclave key/);
    expect(reason(e!)).to.match(/NaN/);
    expect(reason(f!)).to.match(/dimension|5/);
    expect(reason(g!)).to.match(/claimed by/);

    // Round 2: a's round-1 style envelope (made for round 1) replayed into round 2.
    const replay = sealUpdate(encodeUpdate(honestUpdate(globalHash)), (await hre.flai.teeSim.identity()).encryptionKey, {
      chainId: deployment.chainId,
      contract: deployment.federated,
      taskId,
      round: 1,
      client: a!.address,
    });
    await submit(a!, replay);
    await fedavg.runClient({ taskId, data: shares[1]!, signer: b, connection });
    await fedavg.runClient({ taskId, data: shares[2]!, signer: c, connection });
    const round2 = await fedavg.aggregate({ taskId, connection });
    expect(round2.rejected.find((r) => r.client === a!.address)?.reason).to.match(/replayed: made for round 1, this is round 2/);
  });

  it("robust strategies bound one client's huge update; fedavg does not", async () => {
    const outcome: Record<string, { accuracy: number; maxWeight: number; norm: number }> = {};
    for (const strategy of [
      { name: "fedavg" },
      { name: "median" },
      { name: "trimmed-mean", trimFraction: 0.25 },
      { name: "fedavg", clippingNorm: 1 },
    ] as StrategyConfig[]) {
      const taskId = await newTask({ rounds: 1, quorum: 4, strategy });
      const globalHash = (await hre.flai.fedavg.task(taskId, { connection })).globalHash;
      for (let i = 0; i < 3; i++) {
        await hre.flai.fedavg.runClient({ taskId, data: shares[i]!, signer: signers[i + 1], connection });
      }
      const attacker = signers[9]!;
      const huge = honestUpdate(globalHash, 9, 1e4); // norm 3e4: under the default maxUpdateNorm 1e6, so not rejected
      huge.numExamples = 1000; // and it lies about its weight
      huge.gradient = new Float64Array(9).fill(1e4); // a well-formed update for every task (fedavg's drift correction clips it)
      await hre.flai.fedavg.submitCiphertext({
        taskId,
        signer: attacker,
        ciphertext: await sealed(taskId, attacker.address, huge),
        numExamples: 1000,
        connection,
      });
      const agg = await hre.flai.fedavg.aggregate({ taskId, connection });
      const model = await hre.flai.fedavg.globalModel(taskId, { connection });
      const { weights, bias } = modelParameters(model);
      const norm = Math.hypot(...weights, ...bias); // the initial model is all zeros: this is the round's step
      outcome[`${strategy.name}${strategy.clippingNorm ? "+clip" : ""}`] = {
        accuracy: agg.metrics.accuracy,
        maxWeight: Math.max(...Array.from(weights, Math.abs)),
        norm,
      };
    }
    expect(outcome.fedavg!.maxWeight).to.be.greaterThan(1e3); // its weight is capped at 1/4 of the round, its values are not
    for (const robust of ["median", "trimmed-mean"]) {
      expect(outcome[robust]!.maxWeight, robust).to.be.lessThan(10);
      expect(outcome[robust]!.accuracy, robust).to.be.greaterThan(0.8);
    }
    // Clipping bounds how far one update can move the model (‖step‖ ≤ clippingNorm), not its direction.
    expect(outcome["fedavg+clip"]!.norm).to.be.at.most(1 + 1e-9);
  });

  describe("task-level errors", () => {
    it("a spec that standardizes, with no scaling and no training sample, is refused before anything is paid; standardize false needs none", async () => {
      const creator = signers[0]!;
      const balance = await connection.ethers.provider.getBalance(creator.address);
      const block = await connection.ethers.provider.getBlockNumber();
      const without = { model: modelRoot, evaluation: evaluationRoot, rounds: 1, quorum: 1, reward: "1", signer: creator, connection };
      const error = await expectFlaiError(
        () => hre.flai.fedavg.createTask(without),
        "no training sample was named",
        "not fit on the evaluation (--test) set",
        "leak the test data's statistics into training",
        "--standardize-on <file>",
        `set "standardize": false or a "standardization" in the spec`,
      );
      expect(error.message).to.contain(modelRoot);
      // Nothing reached the chain: no transaction (not even the enclave's registration), no fee, no pool.
      expect(await connection.ethers.provider.getBlockNumber()).to.equal(block);
      expect(await connection.ethers.provider.getBalance(creator.address)).to.equal(balance);

      const plain = {
        format: "flai-model/v1",
        algorithm: "logistic-regression",
        features: 8,
        hyperparameters: { c: 1, maxIterations: 100, tolerance: 1e-4, standardize: false },
      };
      const unscaled = await hre.flai.fedavg.createTask({
        ...without,
        model: (await hre.flai.storage.upload(Buffer.from(JSON.stringify(plain)))).root,
      });
      expect(unscaled.scaling).to.equal("none");
      expect((await hre.flai.fedavg.globalModel(unscaled.task.id, { connection })).standardization).to.equal(null);
    });

    it("an unknown task", async () => {
      await expectFlaiError(() => hre.flai.fedavg.status(999, { connection }), "Federated task 999 does not exist");
      await expectFlaiError(() => hre.flai.fedavg.runClient({ taskId: "x", data: shares[0]!, connection }), "whole number");
    });

    it("quorum not met, then a round already finalized", async () => {
      const taskId = await newTask({ rounds: 2, quorum: 2 });
      await hre.flai.fedavg.runClient({ taskId, data: shares[0]!, signer: signers[1], connection });
      await expectFlaiError(() => hre.flai.fedavg.aggregate({ taskId, connection }), "Quorum not met", "1 of 2");
      await hre.flai.fedavg.runClient({ taskId, data: shares[1]!, signer: signers[2], connection });
      await hre.flai.fedavg.aggregate({ taskId, connection });
      await expectFlaiError(() => hre.flai.fedavg.aggregate({ taskId, round: 1, connection }), "Round 1", "already finalized");
      await expectFlaiError(() => hre.flai.fedavg.aggregate({ taskId, round: 3, connection }), "has not started");
    });

    it("the same client twice in a round, and after the deadline", async () => {
      const taskId = await newTask({ roundDuration: 60 });
      await hre.flai.fedavg.runClient({ taskId, data: shares[0]!, signer: signers[1], connection });
      await expectFlaiError(
        () => hre.flai.fedavg.runClient({ taskId, data: shares[0]!, signer: signers[1], connection }),
        "already recorded",
      );
      await connection.provider.request({ method: "evm_increaseTime", params: [120] });
      await connection.provider.request({ method: "evm_mine", params: [] });
      await expectFlaiError(
        () => hre.flai.fedavg.runClient({ taskId, data: shares[1]!, signer: signers[2], connection }),
        "closed for updates",
      );
    });

    it("a client's data with another feature count than the model", async () => {
      const taskId = await newTask();
      const narrow: Dataset = {
        rows: 2,
        cols: 3,
        features: new Float64Array([1, 2, 3, 3, 2, 1]),
        labels: new Uint8Array([0, 1]),
        classes: [0, 1],
      };
      await expectFlaiError(() => hre.flai.fedavg.runClient({ taskId, data: narrow, signer: signers[1], connection }), "3", "8");
    });

    it("a finished task", async () => {
      const taskId = await newTask({ rounds: 1, quorum: 1 });
      await hre.flai.fedavg.runClient({ taskId, data: shares[0]!, signer: signers[1], connection });
      await hre.flai.fedavg.aggregate({ taskId, connection });
      await expectFlaiError(() => hre.flai.fedavg.runClient({ taskId, data: shares[1]!, signer: signers[2], connection }), "finished");
    });
  });
});
