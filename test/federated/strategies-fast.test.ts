import { expect } from "chai";

import {
  FEDAVG_PARALLEL_MIN,
  aggregate,
  l2Norm,
  lastWeightedSumRun,
  shareDelta,
  warmAggregationWorkers,
  type WeightedDelta,
} from "../../src/federated/strategies.js";
import { gaussian, mulberry32 } from "../../src/util/prng.js";

function updatesOf(n: number, dim: number, seed: number): WeightedDelta[] {
  const rand = mulberry32(seed);
  const normal = gaussian(rand);
  return Array.from({ length: n }, () => {
    const delta = new Float64Array(dim);
    // Values of very different magnitudes, so that any change of summation order changes bits.
    for (let i = 0; i < dim; i++) delta[i] = normal() * 10 ** Math.floor(rand() * 12 - 6);
    return { delta, weight: 1 + Math.floor(rand() * 500) };
  });
}

/** The definition: for each coordinate, Σ w_k·s_k·Δ_k[i] over k in order from 0, then / Σ w_k. */
function plainLoop(updates: readonly WeightedDelta[], scales?: number[]): Float64Array {
  const dim = updates[0]!.delta.length;
  let total = 0;
  for (const u of updates) total += u.weight;
  const out = new Float64Array(dim);
  for (let k = 0; k < updates.length; k++) {
    const a = updates[k]!.weight * (scales?.[k] ?? 1);
    const x = updates[k]!.delta;
    for (let i = 0; i < dim; i++) out[i]! += a * x[i]!;
  }
  for (let i = 0; i < dim; i++) out[i] = out[i]! / total;
  return out;
}

const bytesOf = (a: Float64Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);
const shared = (updates: readonly WeightedDelta[]) => updates.map((u) => ({ delta: shareDelta(u.delta), weight: u.weight }));

describe("fedavg/strategies fast path", () => {
  it("the blocked single-thread sum equals the plain loop bit for bit, for every update count mod 4 and block edge", () => {
    for (const n of [1, 2, 3, 4, 5, 6, 7, 8, 9, 12, 13]) {
      for (const dim of [1, 3, 16383, 16384, 16385, 40_000]) {
        const updates = updatesOf(n, dim, 100 * n + dim);
        const got = aggregate(updates, { name: "fedavg" }, 0).delta;
        expect(lastWeightedSumRun()!.path).to.equal("blocked");
        expect(bytesOf(got).equals(bytesOf(plainLoop(updates))), `n=${n} dim=${dim}`).to.equal(true);
      }
    }
  });

  it("keeps the plain loop's signed zeros (0 + w·(−0) is +0)", () => {
    const minusZero = { delta: new Float64Array(5).fill(-0), weight: 3 };
    for (const updates of [[minusZero], [minusZero, minusZero, minusZero, minusZero, minusZero]]) {
      const got = aggregate(updates, { name: "fedavg" }, 0).delta;
      expect(bytesOf(got).equals(bytesOf(plainLoop(updates)))).to.equal(true);
      expect(Object.is(got[0], 0)).to.equal(true);
    }
  });

  it("stays single-threaded for large rounds of ordinary (non-shared) deltas", () => {
    const updates = updatesOf(5, Math.ceil(FEDAVG_PARALLEL_MIN / 5), 7);
    const got = aggregate(updates, { name: "fedavg" }, 0).delta;
    expect(lastWeightedSumRun()!.path).to.equal("blocked");
    expect(got.buffer).to.be.instanceOf(ArrayBuffer);
    expect(bytesOf(got).equals(bytesOf(plainLoop(updates)))).to.equal(true);
  });

  it("shares large rounds of shared-memory deltas with worker threads, bit-identical to the plain loop", async function () {
    this.timeout(60_000);
    const n = 9;
    const dim = Math.ceil(FEDAVG_PARALLEL_MIN / n) + 12_345; // not a multiple of the block
    const updates = updatesOf(n, dim, 11);
    const before = updates.map((u) => Float64Array.from(u.delta));
    const expected = plainLoop(updates);
    const input = shared(updates);

    // Cold: the calling thread does not wait for the pool to start, it takes every block it can.
    const cold = aggregate(input, { name: "fedavg" }, 0).delta;
    expect(lastWeightedSumRun()!.path).to.equal("parallel");
    expect(bytesOf(cold).equals(bytesOf(expected))).to.equal(true);

    expect(await warmAggregationWorkers()).to.be.greaterThan(0);
    let byWorkers = 0;
    // Which thread takes which block depends on scheduling; the bits must not. On a busy machine the
    // calling thread may take every block once in a while, so a few tries make sure a worker took some.
    for (let attempt = 0; attempt < 10 && byWorkers === 0; attempt++) {
      const got = aggregate(input, { name: "fedavg" }, 0).delta;
      const run = lastWeightedSumRun()!;
      expect(run.path).to.equal("parallel");
      expect(run.blocks).to.equal(Math.ceil(dim / 16384));
      expect(got.buffer).to.be.instanceOf(SharedArrayBuffer);
      expect(bytesOf(got).equals(bytesOf(expected))).to.equal(true);
      byWorkers = run.blocksByWorkers;
      if (byWorkers === 0) await new Promise((r) => setTimeout(r, 50));
    }
    expect(byWorkers).to.be.greaterThan(0);
    expect(bytesOf(aggregate(input, { name: "fedprox" }, 0).delta).equals(bytesOf(expected))).to.equal(true);
    updates.forEach((u, k) => expect(bytesOf(u.delta).equals(bytesOf(before[k]!))).to.equal(true));
  });

  it("the parallel path clips and adds DP noise exactly like the single-thread one", async function () {
    this.timeout(60_000);
    await warmAggregationWorkers();
    const n = 6;
    const dim = Math.ceil(FEDAVG_PARALLEL_MIN / n) + 1;
    const updates = updatesOf(n, dim, 12);
    const input = shared(updates);
    const norms = updates.map((u) => l2Norm(u.delta));
    const clippingNorm = Math.min(...norms) * 2;

    const clipped = aggregate(input, { name: "fedavg", clippingNorm }, 0).delta;
    expect(lastWeightedSumRun()!.path).to.equal("parallel");
    const scales = norms.map((norm) => (norm > clippingNorm ? clippingNorm / norm : 1));
    expect(bytesOf(clipped).equals(bytesOf(plainLoop(updates, scales)))).to.equal(true);
    expect(bytesOf(clipped).equals(bytesOf(aggregate(updates, { name: "fedavg", clippingNorm }, 0).delta))).to.equal(true);

    const dp = { name: "fedavg", clippingNorm, noiseMultiplier: 1.1 } as const;
    const noisyShared = aggregate(input, dp, 77).delta;
    expect(lastWeightedSumRun()!.path).to.equal("parallel");
    const noisy = aggregate(updates, dp, 77).delta;
    expect(lastWeightedSumRun()!.path).to.equal("blocked");
    expect(bytesOf(noisyShared).equals(bytesOf(noisy))).to.equal(true);
  });

  it("shareDelta copies an ordinary delta into shared memory and leaves a shared one as is", () => {
    const delta = Float64Array.from([1, -2.5, 3e-300]);
    const copy = shareDelta(delta);
    expect(copy.buffer).to.be.instanceOf(SharedArrayBuffer);
    expect(copy).to.not.equal(delta);
    expect(Array.from(copy)).to.deep.equal(Array.from(delta));
    expect(shareDelta(copy)).to.equal(copy);
  });
});
