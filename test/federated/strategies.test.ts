import { expect } from "chai";

import { gaussianPrivacy } from "../../src/federated/dp-accountant.js";
import { aggregate, l2Norm, type StrategyConfig, type WeightedDelta } from "../../src/federated/strategies.js";
import { gaussian, mulberry32 } from "../../src/util/prng.js";

import { expectFlaiError } from "../helpers/assert.js";

/** `n` honest updates scattered around a common direction, with varied num_examples. */
function honest(n: number, dim: number, seed: number): WeightedDelta[] {
  const rand = mulberry32(seed);
  const normal = gaussian(rand);
  const base = Array.from({ length: dim }, () => normal());
  return Array.from({ length: n }, () => {
    const delta = new Float64Array(dim);
    for (let i = 0; i < dim; i++) delta[i] = base[i]! + 0.1 * normal();
    return { delta, weight: 1 + Math.floor(rand() * 500) };
  });
}

function honestRange(updates: WeightedDelta[], i: number): [number, number] {
  const values = updates.map((u) => u.delta[i]!);
  return [Math.min(...values), Math.max(...values)];
}

const bytesOf = (a: Float64Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

describe("fedavg/strategies", () => {
  it("fedavg equals a plain sample-weighted mean loop, bit for bit; fedprox aggregates the same", () => {
    const updates = honest(9, 257, 1);
    const expected = new Float64Array(257);
    for (let i = 0; i < 257; i++) {
      let sum = 0;
      let total = 0;
      for (const u of updates) {
        sum += u.weight * u.delta[i]!;
        total += u.weight;
      }
      expected[i] = sum / total;
    }
    const fedavg = aggregate(updates, { name: "fedavg" }, 0);
    expect(fedavg.dp).to.equal(null);
    expect(bytesOf(fedavg.delta).equals(bytesOf(expected))).to.equal(true);
    expect(bytesOf(aggregate(updates, { name: "fedprox" }, 0).delta).equals(bytesOf(expected))).to.equal(true);
  });

  it("median and trimmed-mean compute the coordinate-wise statistics", () => {
    const u = (...v: number[]) => ({ delta: Float64Array.from(v), weight: 1 });
    const updates = [u(1, 10), u(5, -2), u(3, 7), u(100, 0), u(2, 1)];
    expect(Array.from(aggregate(updates, { name: "median" }, 0).delta)).to.deep.equal([3, 1]);
    expect(Array.from(aggregate(updates.slice(0, 4), { name: "median" }, 0).delta)).to.deep.equal([4, 3.5]);
    // trim 0.2 of 5 = 1 from each end: mean of the middle three
    const trimmed = aggregate(updates, { name: "trimmed-mean", trimFraction: 0.2 }, 0).delta;
    expect(trimmed[0]).to.be.closeTo((2 + 3 + 5) / 3, 1e-15);
    expect(trimmed[1]).to.be.closeTo((0 + 1 + 7) / 3, 1e-15);
    // Weights do not matter to the robust statistics.
    const reweighted = updates.map((x, k) => ({ ...x, weight: 1000 * k + 1 }));
    expect(Array.from(aggregate(reweighted, { name: "median" }, 0).delta)).to.deep.equal([3, 1]);
  });

  it("the median works past the insertion-sort size (many clients)", () => {
    const updates = honest(41, 3, 9);
    const result = aggregate(updates, { name: "median" }, 0).delta;
    for (let i = 0; i < 3; i++) {
      const sorted = updates.map((u) => u.delta[i]!).sort((a, b) => a - b);
      expect(result[i]).to.equal(sorted[20]);
    }
  });

  it("median and trimmed-mean stay within the honest range when one client sends 1e9 everywhere; fedavg is dragged", () => {
    const good = honest(7, 64, 2);
    const attack = [...good, { delta: new Float64Array(64).fill(1e9), weight: 10_000 }];
    const median = aggregate(attack, { name: "median" }, 0).delta;
    const trimmed = aggregate(attack, { name: "trimmed-mean", trimFraction: 0.125 }, 0).delta;
    const fedavg = aggregate(attack, { name: "fedavg" }, 0).delta;
    for (let i = 0; i < 64; i++) {
      const [lo, hi] = honestRange(good, i);
      expect(median[i]).to.be.within(lo, hi);
      expect(trimmed[i]).to.be.within(lo, hi);
      expect(fedavg[i]).to.be.greaterThan(1e8);
    }
  });

  it("clipping bounds every update's norm and leaves small updates untouched", () => {
    const updates = honest(6, 50, 3);
    const norms = updates.map((u) => l2Norm(u.delta));
    const before = updates.map((u) => Float64Array.from(u.delta));

    const loose = aggregate(updates, { name: "fedavg", clippingNorm: Math.max(...norms) * 1.01 }, 0).delta;
    expect(bytesOf(loose).equals(bytesOf(aggregate(updates, { name: "fedavg" }, 0).delta))).to.equal(true);

    // A weighted mean of vectors of norm ≤ C has norm ≤ C; alone, each comes out at exactly C.
    const clip = Math.min(...norms) / 2;
    expect(l2Norm(aggregate(updates, { name: "fedavg", clippingNorm: clip }, 0).delta)).to.be.at.most(clip * (1 + 1e-12));
    for (let k = 0; k < updates.length; k++) {
      const alone = aggregate([updates[k]!], { name: "fedavg", clippingNorm: clip }, 0).delta;
      expect(l2Norm(alone)).to.be.closeTo(clip, clip * 1e-12);
      // Direction kept: a positive multiple of the original.
      expect(alone[0]! / updates[k]!.delta[0]!).to.be.closeTo(clip / norms[k]!, 1e-12);
    }
    // The huge attacker is scaled down before aggregation, so even fedavg stays bounded.
    const attack = [...updates, { delta: new Float64Array(50).fill(1e300), weight: 1 }];
    expect(l2Norm(aggregate(attack, { name: "fedavg", clippingNorm: clip }, 0).delta)).to.be.at.most(clip * (1 + 1e-12));
    updates.forEach((u, k) => expect(bytesOf(u.delta).equals(bytesOf(before[k]!))).to.equal(true));
  });

  const seeds: [string, number | Uint8Array, number | Uint8Array][] = [
    ["a numeric seed (simulations)", 42, 43],
    ["a 32-byte key (AES-CTR, the enclave's)", new Uint8Array(32).fill(7), new Uint8Array(32).fill(8)],
  ];
  for (const [what, seed, other] of seeds)
    it(`DP noise from ${what} is reproducible, different for another, and has std z·2C/n (the uniform mean's sensitivity)`, () => {
      const dim = 200_000;
      const updates = honest(4, dim, 4);
      const config: StrategyConfig = { name: "fedavg", clippingNorm: 2, noiseMultiplier: 1.5 };
      const a = aggregate(updates, config, seed);
      const b = aggregate(updates, config, seed);
      const c = aggregate(updates, config, other);
      expect(bytesOf(a.delta).equals(bytesOf(b.delta))).to.equal(true);
      expect(bytesOf(a.delta).equals(bytesOf(c.delta))).to.equal(false);
      expect(a.dp).to.deep.equal({
        noiseMultiplier: 1.5,
        clippingNorm: 2,
        sensitivity: (2 * 2) / 4,
        noiseStd: (1.5 * 2 * 2) / 4,
        epsilon: gaussianPrivacy(1.5, 1e-5).epsilon,
        delta: 1e-5,
        accountant: "rdp",
      });

      // Subtract the uniform mean of the clipped updates: what remains is the noise.
      const mean = new Float64Array(dim);
      for (const u of updates) {
        const scale = Math.min(1, 2 / l2Norm(u.delta));
        for (let i = 0; i < dim; i++) mean[i]! += (scale * u.delta[i]!) / updates.length;
      }
      let sum = 0;
      let sq = 0;
      for (let i = 0; i < dim; i++) {
        const noise = a.delta[i]! - mean[i]!;
        sum += noise;
        sq += noise * noise;
      }
      const expectedStd = (1.5 * 2 * 2) / 4; // z · 2C/n
      const std = Math.sqrt(sq / dim - (sum / dim) ** 2);
      expect(std / expectedStd).to.be.closeTo(1, 0.01); // sampling error of the std ≈ 1/√(2·dim) = 0.16%
      expect(Math.abs(sum / dim)).to.be.lessThan((5 * expectedStd) / Math.sqrt(dim));
    });

  it("DP takes its delta from the config", () => {
    const result = aggregate(honest(3, 4, 5), { name: "fedprox", clippingNorm: 1, noiseMultiplier: 2, dpDelta: 1e-6 }, 1);
    expect(result.dp!.delta).to.equal(1e-6);
    expect(result.dp!.epsilon).to.equal(gaussianPrivacy(2, 1e-6).epsilon);
  });

  it("ε is the RDP accountant's for one round (test/federated/dp-accountant.test.ts checks the accountant)", () => {
    const result = aggregate(honest(3, 4, 7), { name: "fedavg", clippingNorm: 1, noiseMultiplier: 1 }, 1);
    expect(result.dp!.epsilon).to.equal(gaussianPrivacy(1, 1e-5, 1).epsilon);
    expect(result.dp!.accountant).to.equal("rdp");
  });

  it("explains invalid configurations and inputs", async () => {
    const updates = honest(3, 4, 6);
    const bad = (config: object) => () => aggregate(updates, config as StrategyConfig, 0);
    await expectFlaiError(bad({ name: "krum" }), '"krum"', '"fedavg"', '"trimmed-mean"');
    await expectFlaiError(bad({ name: "fedavg", trimFraction: 0.1 }), "trimFraction", "trimmed-mean");
    await expectFlaiError(bad({ name: "trimmed-mean", trimFraction: 0.5 }), "trimFraction", "(0, 0.5)", "trims every value");
    await expectFlaiError(bad({ name: "trimmed-mean", trimFraction: 0 }), "trimFraction", "trims nothing", "fedavg");
    await expectFlaiError(bad({ name: "fedavg", clippingNorm: 0 }), "clippingNorm", "> 0");
    await expectFlaiError(bad({ name: "fedavg", noiseMultiplier: 1 }), "noiseMultiplier", "clippingNorm");
    await expectFlaiError(bad({ name: "fedavg", clippingNorm: 1, noiseMultiplier: -1 }), "noiseMultiplier");
    await expectFlaiError(bad({ name: "median", clippingNorm: 1, noiseMultiplier: 1 }), "fedavg", "sensitivity");
    await expectFlaiError(bad({ name: "fedavg", dpDelta: 1e-5 }), "dpDelta", "noiseMultiplier");
    await expectFlaiError(bad({ name: "fedavg", clippingNorm: 1, noiseMultiplier: 1, dpDelta: 1 }), "dpDelta", "(0, 1)");
    await expectFlaiError(() => aggregate([], { name: "fedavg" }, 0), "no client updates");
    await expectFlaiError(
      () => aggregate([...updates, { delta: new Float64Array(5), weight: 1 }], { name: "median" }, 0),
      "Update 3",
      "5 values",
    );
    await expectFlaiError(() => aggregate([{ ...updates[0]!, weight: 0 }], { name: "fedavg" }, 0), "weight 0");
    const huge = [1, 2].map(() => ({ delta: new Float64Array(2).fill(1.5e308), weight: 1 }));
    await expectFlaiError(() => aggregate(huge, { name: "fedavg" }, 0), "overflowed", "clippingNorm");
  });
});
