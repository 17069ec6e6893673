import assert from "node:assert/strict";
import { createHash } from "node:crypto";

import { getAddress } from "ethers";

import { updatesAccumulator as accumulatorOf } from "../../src/federated/accumulator.js";
import { runAggregation, type AggregateRequest } from "../../src/federated/aggregator.js";
import { DEFAULT_DRIFT_CORRECTION, resolveDriftCorrection, type DriftCorrection } from "../../src/federated/drift-correction.js";
import { sealUpdate } from "../../src/federated/envelope.js";
import { globalModelBytes, parseGlobalModel, taskNonce, type GlobalModel } from "../../src/federated/global-model.js";
import { initialModel } from "../../src/federated/in-process.js";
import { trainClientUpdate } from "../../src/federated/local-training.js";
import { datasetJson } from "../../src/federated/simulation.js";
import type { StrategyConfig } from "../../src/federated/strategies.js";
import { decodeUpdate, encodeUpdate, UPDATE_FORMAT, UPDATE_FORMAT_WITH_GRADIENT, validateUpdate } from "../../src/federated/update.js";
import type { Dataset } from "../../src/ml/dataset.js";
import { computeRoot } from "../../src/storage/merkle.js";
import { loadOrCreateIdentity, type EnclaveIdentity } from "../../src/tee/identity.js";
import { mulberry32 } from "../../src/util/prng.js";
import { strategyFromArgs } from "../../src/cli/strategy-args.js";

import { expectFlaiError } from "../helpers/assert.js";
import { tempDir } from "../helpers/project.js";
import { roundOneRequest, sealRoundOne, type TaskBytes } from "../helpers/round-one.js";

// Drift correction as a protocol: the update format, the task config, and what the enclave's round
// program (runAggregation: sealed updates in, signed model out) does with the clients' gradients.

const FEATURES = 6;
const DIMENSION = FEATURES + 1;
const CONTRACT = getAddress("0x" + "c0".repeat(20));
const sha256 = (b: Uint8Array) => "0x" + createHash("sha256").update(b).digest("hex");
const clientAddress = (i: number) => getAddress("0x" + (0x2000 + i).toString(16).padStart(40, "0"));
const filled = (n: number, v: number) => new Float64Array(n).fill(v);

/** A client's plaintext update, gradient or not. */
interface Sent {
  delta: Float64Array;
  gradient?: Float64Array;
  numExamples?: number;
}

describe("fedavg drift correction in the protocol", function () {
  this.timeout(120_000);
  let enclaveDir: string;
  let identity: EnclaveIdentity;
  let evaluation: Uint8Array;
  let data: Dataset;
  let taskCounter = 0;

  before(async () => {
    enclaveDir = await tempDir("flai-drift-enclave-");
    identity = await loadOrCreateIdentity(enclaveDir);
    const rand = mulberry32(5);
    const rows = 60;
    data = {
      rows,
      cols: FEATURES,
      features: Float64Array.from({ length: rows * FEATURES }, () => rand() * 2 - 1),
      labels: Uint8Array.from({ length: rows }, (_, i) => (i % 3 === 0 ? 1 : 0)),
      classes: [0, 1],
    };
    evaluation = new TextEncoder().encode(datasetJson(data));
  });

  /** A task's initial model as createTask builds it (drift correction resolved the same way). */
  function newTask(strategy: StrategyConfig, driftCorrection?: boolean | DriftCorrection) {
    const model: GlobalModel = {
      ...initialModel({ features: FEATURES, standardization: null, strategy, local: { driftCorrection } }),
      federated: {
        ...initialModel({ features: FEATURES, standardization: null, strategy, local: { driftCorrection } }).federated,
        evaluationRoot: computeRoot(evaluation),
        nonce: taskNonce(),
      },
    };
    return { model, bytes: globalModelBytes(model), taskId: String(++taskCounter) };
  }

  function request(task: TaskBytes, sent: readonly Sent[]): AggregateRequest {
    const setup = { enclaveDir, encryptionKey: identity.encryptionKey, contract: CONTRACT, evaluation, clientAddress };
    return roundOneRequest(
      setup,
      task,
      sealRoundOne(
        setup,
        task,
        sent.map((u) => ({ ...u, numExamples: u.numExamples ?? 100 })),
      ),
    );
  }

  const modelOf = (bytes: Uint8Array) => parseGlobalModel(bytes, "the new model");

  describe("task config", () => {
    it("is on by default for fedavg and fedprox without noise, and off for median, trimmed-mean and any task with DP noise", () => {
      assert.deepEqual(newTask({ name: "fedavg" }).model.federated.local.driftCorrection, DEFAULT_DRIFT_CORRECTION);
      assert.deepEqual(newTask({ name: "fedprox" }).model.federated.local.driftCorrection, { mu: 0.2, maxGradientNorm: 10 });
      assert.deepEqual(newTask({ name: "fedavg", clippingNorm: 1 }).model.federated.local.driftCorrection, DEFAULT_DRIFT_CORRECTION);
      for (const strategy of [
        { name: "median" },
        { name: "trimmed-mean" },
        { name: "fedavg", clippingNorm: 1, noiseMultiplier: 1 },
        { name: "fedprox", clippingNorm: 1, noiseMultiplier: 0.5 },
      ] as StrategyConfig[]) {
        const { model, bytes } = newTask(strategy);
        assert.equal(model.federated.local.driftCorrection, undefined, strategy.name);
        assert.ok(!new TextDecoder().decode(bytes).includes("driftCorrection"), `${strategy.name}: no key in the committed bytes`);
      }
      assert.equal(newTask({ name: "fedavg" }, false).model.federated.local.driftCorrection, undefined);
    });

    it("asking for it where it is not allowed, or with an unusable mu or clip, is refused by name", async () => {
      await expectFlaiError(() => resolveDriftCorrection(true, { name: "median" }), "median", "not robust");
      await expectFlaiError(
        () => resolveDriftCorrection(true, { name: "fedavg", clippingNorm: 1, noiseMultiplier: 1 }),
        "DP noise",
        "without noise",
      );
      await expectFlaiError(
        () => resolveDriftCorrection({ mu: 0, maxGradientNorm: 10 }, { name: "fedavg" }),
        '"driftCorrection.mu"',
        "> 0",
      );
      await expectFlaiError(
        () => resolveDriftCorrection({ mu: 0.2, maxGradientNorm: Infinity }, { name: "fedavg" }),
        '"driftCorrection.maxGradientNorm"',
      );
      assert.deepEqual(resolveDriftCorrection({ mu: 0.5, maxGradientNorm: 3 }, { name: "fedprox" }), { mu: 0.5, maxGradientNorm: 3 });
    });

    it("--no-drift-correction turns it off for fedavg, and is refused where it is already off", async () => {
      assert.equal(strategyFromArgs({ strategy: "fedavg", noDriftCorrection: true }).local.driftCorrection, false);
      assert.equal(strategyFromArgs({ strategy: "fedavg" }).local.driftCorrection, undefined);
      await expectFlaiError(
        () => strategyFromArgs({ strategy: "median", noDriftCorrection: true }),
        "--no-drift-correction",
        "already off",
      );
      await expectFlaiError(
        () => strategyFromArgs({ strategy: "fedavg", clippingNorm: "1", noiseMultiplier: "1", noDriftCorrection: true }),
        "--no-drift-correction",
        "already off",
      );
      // FedProx's --proximal-mu would be ignored under the correction's own proximal term: refused, naming the way out.
      await expectFlaiError(() => strategyFromArgs({ strategy: "fedprox", proximalMu: "0.05" }), "--proximal-mu", "--no-drift-correction");
      assert.equal(strategyFromArgs({ strategy: "fedprox", proximalMu: "0.05", noDriftCorrection: true }).local.proximalMu, 0.05);
      assert.equal(
        strategyFromArgs({ strategy: "fedprox", proximalMu: "0.05", clippingNorm: "1", noiseMultiplier: "1" }).local.proximalMu,
        0.05,
      );
    });

    it("a model whose correction does not fit its task is not a global model", async () => {
      const corrected = newTask({ name: "fedavg" }).model;
      const parse = (m: unknown) => () => parseGlobalModel(new TextEncoder().encode(JSON.stringify(m)), "m.json");
      await expectFlaiError(parse({ ...corrected, correction: [1, 2] }), '"correction"', `${DIMENSION} finite numbers`);
      await expectFlaiError(
        parse({ ...newTask({ name: "median" }).model, correction: new Array(DIMENSION).fill(0) }),
        '"correction" is only for tasks with',
      );
      const noisy = newTask({ name: "fedavg", clippingNorm: 1, noiseMultiplier: 1 }).model;
      await expectFlaiError(
        parse({
          ...noisy,
          federated: { ...noisy.federated, local: { ...noisy.federated.local, driftCorrection: DEFAULT_DRIFT_CORRECTION } },
        }),
        "cannot be used with fedavg and DP noise",
      );
      assert.equal(parse({ ...corrected, correction: new Array(DIMENSION).fill(0.5) })().correction?.length, DIMENSION);
    });
  });

  describe("update format", () => {
    const base = { numExamples: 10, metrics: { loss: 0.5, accuracy: 0.5 }, baseModelHash: "0x" + "ab".repeat(32) };

    it("an update without a gradient is flai-update/v1 as before; with one, v2 carries it bit for bit", () => {
      const v1 = encodeUpdate({ ...base, delta: filled(DIMENSION, 0.25) });
      assert.ok(new TextDecoder().decode(v1.subarray(4, v1.length - DIMENSION * 8)).includes(`"format":"${UPDATE_FORMAT}"`));
      assert.equal(decodeUpdate(v1, "c").gradient, undefined);
      const gradient = Float64Array.from({ length: DIMENSION }, (_, i) => i / 3 - 1e-300);
      const v2 = decodeUpdate(encodeUpdate({ ...base, delta: filled(DIMENSION, 0.25), gradient }), "c");
      assert.deepEqual(Array.from(v2.gradient!), Array.from(gradient));
      assert.deepEqual(Array.from(v2.delta), Array.from(filled(DIMENSION, 0.25)));
      assert.ok(
        new TextDecoder()
          .decode(encodeUpdate({ ...base, delta: filled(DIMENSION, 0), gradient }).subarray(4, 200))
          .includes(UPDATE_FORMAT_WITH_GRADIENT),
      );
    });

    it("a non-finite gradient is refused on both ends; a gradient of another dimension fails validateUpdate", async () => {
      const nan = filled(DIMENSION, 0);
      nan[3] = NaN;
      await expectFlaiError(() => encodeUpdate({ ...base, delta: filled(DIMENSION, 0), gradient: nan }), "gradient", "NaN", "index 3");
      const bytes = encodeUpdate({ ...base, delta: filled(DIMENSION, 0), gradient: filled(DIMENSION, 1) });
      const body = bytes.length - DIMENSION * 8;
      new DataView(bytes.buffer, bytes.byteOffset).setFloat64(body + 8 * 2, Infinity, true);
      await expectFlaiError(() => decodeUpdate(bytes, "client 7"), "client 7", "gradient", "Infinity", "index 2");
      const short = decodeUpdate(encodeUpdate({ ...base, delta: filled(DIMENSION, 0), gradient: filled(DIMENSION - 1, 1) }), "c");
      await expectFlaiError(() => validateUpdate(short, DIMENSION, "client 7"), "client 7", "gradient", `${DIMENSION - 1} values`);
    });
  });

  describe("the enclave's round", () => {
    it("publishes the capped-weighted mean of the gradients as the model's correction, bit-reproducibly", async () => {
      const task = newTask({ name: "fedavg" });
      const sent = [0.1, 0.2, 0.3].map((g) => ({ delta: filled(DIMENSION, 0.01), gradient: filled(DIMENSION, g) }));
      const req = request(task, sent);
      const first = await runAggregation(req);
      assert.equal(first.accepted.length, 3);
      const model = modelOf(first.globalModel);
      assert.equal(model.correction!.length, DIMENSION);
      for (const v of model.correction!) assert.ok(Math.abs(v - 0.2) < 1e-12, `${v}`);
      // A second enclave run over the same recorded inputs (as verify does) gives the same bytes.
      assert.equal(sha256((await runAggregation(req)).globalModel), sha256(first.globalModel));
    });

    it("clips a huge gradient to maxGradientNorm: one client moves the correction by at most its share × the clip", async () => {
      const task = newTask({ name: "fedavg" });
      const honest = { delta: filled(DIMENSION, 0.01), gradient: filled(DIMENSION, 0) };
      const huge = { delta: filled(DIMENSION, 0.01), gradient: filled(DIMENSION, 1e300) };
      const r = await runAggregation(request(task, [honest, honest, honest, huge]));
      assert.equal(r.accepted.length, 4);
      const c = modelOf(r.globalModel).correction!;
      const norm = Math.sqrt(c.reduce((s, v) => s + v * v, 0));
      // Four equal weights: the huge gradient, scaled to norm 10, weighs 1/4.
      assert.ok(Math.abs(norm - DEFAULT_DRIFT_CORRECTION.maxGradientNorm / 4) < 1e-9, `correction norm ${norm}`);
    });

    it("rejects with a code an update whose gradient is missing, of the wrong dimension, or not finite", async () => {
      const task = newTask({ name: "fedavg" });
      const ok = () => ({ delta: filled(DIMENSION, 0.01), gradient: filled(DIMENSION, 0.1) });
      const sent: Sent[] = [
        ok(),
        ok(),
        ok(),
        { delta: filled(DIMENSION, 0.01) },
        { delta: filled(DIMENSION, 0.01), gradient: filled(DIMENSION + 1, 0.1) },
      ];
      const r = await runAggregation(request(task, sent));
      const codes = Object.fromEntries(r.rejected.map((d) => [d.client, d.code]));
      assert.deepEqual(codes, { [clientAddress(3)]: "missing-gradient", [clientAddress(4)]: "wrong-dimension" });
      // A NaN in the gradient cannot even be encoded by encodeUpdate: write it into the bytes as a lying client would.
      const other = newTask({ name: "fedavg" });
      const withNan = request(other, [ok(), ok(), ok(), ok()]);
      const plain = encodeUpdate({
        delta: filled(DIMENSION, 0.01),
        gradient: filled(DIMENSION, 0.1),
        numExamples: 100,
        metrics: { loss: 0.5, accuracy: 0.5 },
        baseModelHash: sha256(other.bytes),
      });
      new DataView(plain.buffer).setFloat64(plain.length - 8, NaN, true);
      const client = clientAddress(3);
      const ciphertext = sealUpdate(plain, identity.encryptionKey, {
        chainId: 31337n,
        contract: CONTRACT,
        taskId: BigInt(other.taskId),
        round: 1,
        client,
      });
      withNan.updates[3] = { client, updateRoot: computeRoot(ciphertext), updateHash: sha256(ciphertext), numExamples: 100, ciphertext };
      withNan.updatesAccumulator = accumulatorOf(BigInt(other.taskId), 1, withNan.updates);
      const n = await runAggregation(withNan);
      assert.deepEqual(
        n.rejected.map((d) => d.code),
        ["malformed"],
      );
      assert.match(n.rejected[0]!.reason!, /gradient.*NaN/);
    });

    it("a task without correction (DP, robust, or turned off) reads old-format updates, ignores a gradient, and publishes no correction", async () => {
      for (const [strategy, off] of [
        [{ name: "median" }, undefined],
        [{ name: "fedavg", clippingNorm: 1, noiseMultiplier: 1 }, undefined],
        [{ name: "fedavg" }, false],
      ] as [StrategyConfig, false | undefined][]) {
        const task = newTask(strategy, off);
        const sent: Sent[] = [
          { delta: filled(DIMENSION, 0.01) },
          { delta: filled(DIMENSION, 0.02) },
          { delta: filled(DIMENSION, 0.03), gradient: filled(DIMENSION, 1) },
        ];
        const r = await runAggregation(request(task, sent));
        assert.equal(r.accepted.length, 3, `${strategy.name}: ${JSON.stringify(r.rejected)}`);
        assert.ok(!new TextDecoder().decode(r.globalModel).includes("correction"), `${strategy.name}: no correction in the model bytes`);
        assert.equal(modelOf(r.globalModel).correction, undefined);
      }
    });

    it("round 2's clients train the corrected objective: the model's correction changes their delta, and they send g_k", () => {
      const task = newTask({ name: "fedavg" }).model;
      const hash = sha256(globalModelBytes(task));
      const round1 = trainClientUpdate(task, hash, data, "client");
      assert.equal(round1.gradient?.length, DIMENSION);
      // Round 1 (no correction): a plain proximal step; its gradient is ∇F_k at the model.
      const withCorrection = { ...task, round: 1, correction: Array.from(filled(DIMENSION, 0.05)) };
      const round2 = trainClientUpdate(withCorrection, hash, data, "client");
      assert.deepEqual(Array.from(round2.gradient!), Array.from(round1.gradient), "same model, same gradient");
      assert.notDeepEqual(Array.from(round2.delta), Array.from(round1.delta), "the linear term moves the local solution");
      const uncorrected = trainClientUpdate(
        { ...task, federated: { ...task.federated, local: { ...task.federated.local, driftCorrection: undefined } } },
        hash,
        data,
        "client",
      );
      assert.equal(uncorrected.gradient, undefined);
    });
  });
});
