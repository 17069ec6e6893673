import { readdir, rm } from "node:fs/promises";
import path from "node:path";

import { expect } from "chai";
import { getAddress } from "ethers";

import { runAggregation, type AggregateRequest, type AggregateResponse, type RecordedUpdate } from "../../src/federated/aggregator.js";
import { globalModelBytes, parseGlobalModel } from "../../src/federated/global-model.js";
import type { RoundRules } from "../../src/federated/round-rules.js";
import { aggregate, trimCount, type StrategyConfig } from "../../src/federated/strategies.js";
import { capWeights, rewardWeights } from "../../src/federated/weights.js";
import { loadOrCreateIdentity, type EnclaveIdentity } from "../../src/tee/identity.js";
import { gaussian, mulberry32 } from "../../src/util/prng.js";

import { expectFlaiError } from "../helpers/assert.js";
import { evaluationBytes, zeroModel } from "../helpers/aggregate-request.js";
import { tempDir } from "../helpers/project.js";
import { roundOneRequest, sealRoundOne, type RoundOneSetup, type TaskBytes } from "../helpers/round-one.js";

// Each attack from the trust-boundaries issue, run against the enclave's round program itself
// (runAggregation: sealed updates in, signed result out), so what is tested is what the enclave
// computes whatever the host and the chain do around it.

const FEATURES = 48;
const CONTRACT = getAddress("0x" + "c0".repeat(20));
const HUGE_CLAIM = Number.MAX_SAFE_INTEGER; // 2^53 − 1 samples
const clientAddress = (i: number) => getAddress("0x" + (0x1000 + i).toString(16).padStart(40, "0"));

interface Update {
  delta: Float64Array;
  numExamples: number;
}

describe("fedavg: attacks on what the enclave computes in a round", function () {
  this.timeout(120_000);
  let enclaveDir: string;
  let identity: EnclaveIdentity;
  let evaluation: Uint8Array;
  let taskCounter = 0;

  before(async () => {
    enclaveDir = await tempDir("flai-attacks-enclave-");
    identity = await loadOrCreateIdentity(enclaveDir);
    evaluation = evaluationBytes(11, 40, FEATURES);
  });

  /** A new task (its own id and nonce, so its own round records) with an all-zero initial model. */
  function newTask(strategy: StrategyConfig, rules: Partial<RoundRules> = {}) {
    return { bytes: globalModelBytes(zeroModel(FEATURES, evaluation, strategy, rules)), taskId: String(++taskCounter) };
  }

  /** Round 1 of `task` with these clients' updates, sealed to the enclave as a client would. */
  function request(task: { bytes: Uint8Array; taskId: string }, updates: readonly Update[]): AggregateRequest {
    return requestOf(task, sealAll(task, updates));
  }

  /** The updates as recorded: client i's update sealed to the enclave for round 1 of `task`. */
  function sealAll(task: TaskBytes, updates: readonly Update[]): RecordedUpdate[] {
    return sealRoundOne(setup(), task, updates);
  }

  /** The request a host makes for round 1 of `task` over exactly these recorded updates. */
  function requestOf(task: TaskBytes, recorded: RecordedUpdate[]): AggregateRequest {
    return roundOneRequest(setup(), task, recorded);
  }

  function setup(): RoundOneSetup {
    return { enclaveDir, encryptionKey: identity.encryptionKey, contract: CONTRACT, evaluation, clientAddress };
  }

  /** `n` honest updates near a common direction, `numExamples` each. */
  function honest(n: number, seed: number, numExamples = 100): Update[] {
    const normal = gaussian(mulberry32(seed));
    return Array.from({ length: n }, () => ({
      delta: Float64Array.from({ length: FEATURES + 1 }, () => 0.01 * normal()),
      numExamples,
    }));
  }

  /** The published model's delta from the all-zero initial one: weights then bias. */
  function step(response: AggregateResponse): Float64Array {
    const model = parseGlobalModel(new Uint8Array(response.globalModel), "new global model");
    return Float64Array.from([...model.weights, model.bias]);
  }

  function report(response: AggregateResponse) {
    return JSON.parse(Buffer.from(response.report).toString("utf8")) as {
      accepted: Array<{ client: string; numExamples: number; weight: number; capped: boolean }>;
      rejected: Array<{ client: string; code: string; reason: string }>;
      protection: { accepted: number; minAccepted: number; dp: { epsilon: number; delta: number } | null; summary: string };
      weightCap: number | null;
    };
  }

  describe("weights are self-reported", () => {
    const strategies: StrategyConfig[] = [
      { name: "fedavg" },
      { name: "fedprox" },
      { name: "median" },
      { name: "trimmed-mean" },
      { name: "fedavg", clippingNorm: 100, noiseMultiplier: 1e-6 },
    ];
    for (const strategy of strategies) {
      for (const rewardRule of ["equal", "num-examples"] as const) {
        const name = `${strategy.name}${strategy.noiseMultiplier ? "+DP" : ""}`;
        it(`huge num_examples: a client claiming 2^53 − 1 samples gets at most the cap (${name}, ${rewardRule} rewards)`, async () => {
          // Four honest clients send 0 and 100 samples each; the attacker sends 1 everywhere and claims 2^53 − 1.
          const zeros = Array.from({ length: 4 }, () => ({ delta: new Float64Array(FEATURES + 1), numExamples: 100 }));
          const attacker = { delta: new Float64Array(FEATURES + 1).fill(1), numExamples: HUGE_CLAIM };
          const response = await runAggregation(request(newTask(strategy, { rewardRule }), [...zeros, attacker]));
          const r = report(response);
          const attackerEntry = r.accepted.find((a) => a.client === clientAddress(4))!;
          const total = r.accepted.reduce((s, a) => s + a.weight, 0);
          expect(r.accepted).to.have.length(5);
          expect(attackerEntry.numExamples).to.equal(HUGE_CLAIM);
          expect(attackerEntry.capped).to.equal(true);
          // Rewards: 1/5 each under "equal", at most maxClientShare 0.25 under "num-examples".
          expect(attackerEntry.weight / total).to.be.at.most(rewardRule === "equal" ? 0.2 : 0.25);
          if (rewardRule === "equal") expect(r.accepted.every((a) => a.weight === 1)).to.equal(true);
          expect(BigInt(response.result.acceptedWeight)).to.equal(BigInt(total));
          // The model: every coordinate is the attacker's share of it (0 for the robust statistics); DP adds ~1e-6.
          for (const v of step(response)) expect(v).to.be.at.most(0.25 + 1e-4);
        });
      }
    }

    it("huge num_examples: the cap holds for any mix of claims, and 2,049 claims of 2^53 − 1 fit the uint64 total", () => {
      const rand = mulberry32(5);
      for (let trial = 0; trial < 200; trial++) {
        const n = 4 + Math.floor(rand() * 30);
        const claims = Array.from({ length: n }, () => (rand() < 0.2 ? HUGE_CLAIM : 1 + Math.floor(rand() * 10_000)));
        const share = 1 / n + rand() * (1 - 1 / n);
        const { weights } = capWeights(claims, share);
        const total = weights.reduce((a, b) => a + b, 0);
        weights.forEach((w, k) => {
          expect(w).to.be.at.most(claims[k]!);
          expect(w / total).to.be.at.most(share + 1e-12);
        });
      }
      // Fewer updates than 1/maxShare: the cap cannot hold, so all weigh the same (1/n each).
      expect(capWeights([5, 10, HUGE_CLAIM], 0.25)).to.deep.equal({ weights: [5, 5, 5], cap: 5, equalized: true });
      const many = rewardWeights(new Array<number>(2049).fill(HUGE_CLAIM), "num-examples");
      expect(many.reduce((a, b) => a + b, 0n) <= (1n << 64n) - 1n).to.equal(true);
      expect(new Set(many).size).to.equal(1);
    });

    it("huge num_examples: a declared count that is no safe whole number is rejected with a code", async () => {
      const task = newTask({ name: "fedavg" });
      const recorded = sealAll(task, honest(4, 3));
      recorded[0]!.numExamples = 2 ** 60; // a uint64 above 2^53: Number() cannot hold it exactly
      const r = report(await runAggregation(requestOf(task, recorded)));
      expect(r.rejected.map((x) => [x.client, x.code])).to.deep.equal([[clientAddress(0), "num-examples-out-of-bounds"]]);
    });
  });

  describe("one update blocks a round forever", () => {
    for (const strategy of [
      { name: "fedavg" },
      { name: "median" },
      { name: "trimmed-mean" },
      { name: "fedavg", clippingNorm: 1 },
    ] as StrategyConfig[]) {
      it(`1e308 delta: rejected with a reason (norm-exceeds-bound) while the rest aggregate (${strategy.name}${strategy.clippingNorm ? "+clip" : ""})`, async () => {
        const good = honest(4, 7);
        const bomb = { delta: new Float64Array(FEATURES + 1).fill(1e308), numExamples: 100 };
        const finiteBomb = { delta: new Float64Array(FEATURES + 1).fill(1e300), numExamples: 100 };
        const response = await runAggregation(request(newTask(strategy), [...good, bomb, finiteBomb]));
        const r = report(response);
        expect(r.rejected.map((x) => x.code)).to.deep.equal(["norm-exceeds-bound", "norm-exceeds-bound"]);
        expect(r.rejected[0]!.reason).to.match(/L2 norm .* exceeds the task's maxUpdateNorm 1000000/);
        expect(r.accepted).to.have.length(4);
        const delta = step(response);
        expect(delta.every((v) => Number.isFinite(v) && Math.abs(v) < 1)).to.equal(true);
      });
    }

    it("the median of two huge values of opposite sign is their finite midpoint, not an overflow", () => {
      const u = (v: number) => ({ delta: Float64Array.from([v, v]), weight: 1 });
      const out = aggregate([u(1.7e308), u(1.7e308), u(-1e308), u(1.6e308)], { name: "median" }, 0).delta;
      expect(Array.from(out)).to.deep.equal([0.5 * 1.6e308 + 0.5 * 1.7e308, 0.5 * 1.6e308 + 0.5 * 1.7e308]);
      expect(out.every(Number.isFinite)).to.equal(true);
    });
  });

  describe("DP noise reused across re-aggregation", () => {
    const strategy: StrategyConfig = { name: "fedavg", clippingNorm: 100, noiseMultiplier: 1 };

    it("a different update set for an already-aggregated round is refused; the same set reproduces the same bytes", async () => {
      const task = newTask(strategy);
      const updates = honest(5, 21);
      const sealed = sealAll(task, updates);
      const firstReq = requestOf(task, sealed.slice(0, 4));
      const first = await runAggregation(firstReq);
      // Re-running the same set (the same sealed ciphertexts) gives the same bytes: flai:verify relies on it.
      const again = await runAggregation(firstReq);
      expect(Buffer.from(again.globalModel).equals(Buffer.from(first.globalModel))).to.equal(true);
      expect(Buffer.from(again.report).equals(Buffer.from(first.report))).to.equal(true);
      expect(again.signature).to.equal(first.signature);
      // One more (late) update, or one fewer, even with the host stating them as the round's set: refused, naming the code.
      await expectFlaiError(
        () => runAggregation(requestOf(task, sealed)),
        "[update-set-changed]",
        "round 1",
        `newly accepted: ${clientAddress(4)}`,
      );
      await expectFlaiError(() => runAggregation(requestOf(task, sealed.slice(0, 3))), "[update-set-changed]");
      // A ciphertext the host claims it could not fetch changes the accepted set: refused too.
      const withheld = sealed.slice(0, 4).map((u, i) => (i === 0 ? { ...u, ciphertext: null, fetchError: "timeout" } : u));
      await expectFlaiError(() => runAggregation(requestOf(task, withheld)), "[update-set-changed]");
    });

    it("a different update set draws different noise: two results no longer reveal the late client's update", async () => {
      const task = newTask(strategy);
      const updates = honest(5, 22);
      const early = await runAggregation(request(task, updates.slice(0, 4)));
      // What a host that deletes the enclave's sealed round record can still get: a second result.
      await rm(path.join(enclaveDir, "rounds"), { recursive: true });
      const late = await runAggregation(request(task, updates));
      // Uniform DP mean: 5·late − 4·early = the late update + (5·noise₅ − 4·noise₄). With the old noise
      // (same stream, std ∝ 1/n) the noise cancelled and the update came out to 1e-16.
      const a = step(early);
      const b = step(late);
      const target = updates[4]!.delta;
      let sq = 0;
      for (let i = 0; i < target.length; i++) sq += (5 * b[i]! - 4 * a[i]! - target[i]!) ** 2;
      const rms = Math.sqrt(sq / target.length);
      // Independent noise: rms ≈ z·C·√2 ≈ 141; identical streams would give ~0.
      expect(rms).to.be.greaterThan(50);
    });

    it("the round record is sealed: an edited record is not accepted as a different commitment", async () => {
      const task = newTask(strategy);
      await runAggregation(request(task, honest(4, 23)));
      const dir = path.join(enclaveDir, "rounds");
      const files = await readdir(dir);
      expect(files.length).to.be.greaterThan(0);
      const { writeFile, readFile } = await import("node:fs/promises");
      for (const f of files) {
        const blob = await readFile(path.join(dir, f));
        blob[blob.length - 1]! ^= 1;
        await writeFile(path.join(dir, f), blob);
      }
      await expectFlaiError(() => runAggregation(request(task, honest(4, 24))), "cannot be unsealed");
    });
  });

  describe("privacy of small rounds", () => {
    it("a 2-client round without DP is refused (default minimum 3); with DP it is published and says so", async () => {
      await expectFlaiError(
        () => runAggregation(request(newTask({ name: "fedavg" }), honest(2, 31))),
        "[too-few-accepted]",
        "minimum of 3",
      );
      // Three recorded, one rejected: 2 accepted is still too few.
      const threeOneBad = [...honest(2, 32), { delta: new Float64Array(FEATURES + 1).fill(1e9), numExamples: 100 }];
      await expectFlaiError(
        () => runAggregation(request(newTask({ name: "fedavg" }), threeOneBad)),
        "[too-few-accepted]",
        "norm-exceeds-bound",
      );

      const dp = await runAggregation(request(newTask({ name: "fedavg", clippingNorm: 1, noiseMultiplier: 1 }), honest(2, 33)));
      const p = report(dp).protection;
      expect(p.minAccepted).to.equal(1);
      expect(p.dp).to.not.equal(null);
      expect(p.summary).to.match(/^DP ε [\d.]+, δ 0\.00001$/);

      const three = report(await runAggregation(request(newTask({ name: "fedavg" }), honest(3, 34)))).protection;
      expect(three.summary).to.equal("3 accepted updates ≥ minimum 3");
    });

    it("an explicit lower minimum publishes, and the report says nothing protects the round", async () => {
      const p = report(await runAggregation(request(newTask({ name: "fedavg" }, { minAccepted: 2 }), honest(2, 35)))).protection;
      expect(p.summary).to.match(/^none: only 2 accepted updates and no DP noise/);
    });
  });

  describe("robust strategies that are not", () => {
    it("trimmed-mean with 5 clients trims one per side (default trim 0.1)", () => {
      expect(trimCount(5)).to.equal(1);
      expect(trimCount(9, 0.1)).to.equal(1);
      expect(trimCount(20, 0.1)).to.equal(2);
      expect(trimCount(5, 0)).to.equal(1);
      const u = (v: number) => ({ delta: Float64Array.from([v]), weight: 1 });
      const out = aggregate([u(1), u(2), u(3), u(4), u(1e6)], { name: "trimmed-mean" }, 0).delta;
      expect(out[0]).to.equal((2 + 3 + 4) / 3);
    });

    it("median of 2 refused, and trimmed-mean of 2 (the aggregate and the enclave both refuse)", async () => {
      const two = honest(2, 41).map((x) => ({ delta: x.delta, weight: 1 }));
      await expectFlaiError(() => aggregate(two, { name: "median" }, 0), "median needs at least 3", "the median of 2 is their mean");
      await expectFlaiError(() => aggregate(two, { name: "trimmed-mean" }, 0), "trimmed-mean needs at least 3");
      // Even when the task allows 1-update rounds, the enclave will not call a mean of 2 a median.
      const task = newTask({ name: "median" }, { minAccepted: 1 });
      await expectFlaiError(() => runAggregation(request(task, honest(2, 42))), "[too-few-for-strategy]", "median");
      const ok = await runAggregation(request(newTask({ name: "median" }), honest(3, 43)));
      expect(report(ok).accepted).to.have.length(3);
    });
  });
});
