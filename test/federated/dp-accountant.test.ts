import assert from "node:assert/strict";
import { readFileSync } from "node:fs";

import { epsilonFromRdp, gaussianPrivacy, gaussianRdp, RDP_ORDERS, weightedMeanSensitivity } from "../../src/federated/dp-accountant.js";

import { expectFlaiError } from "../helpers/assert.js";

interface ReferenceCase {
  noiseMultiplier: number;
  delta: number;
  rounds: number;
  rdpGrid: number;
  order: number;
  rdpContinuous: number;
  exact: number;
}

// Computed once with numpy/scipy by test/reference/dp.py (CI has neither).
const reference = JSON.parse(readFileSync(new URL("../reference/dp.json", import.meta.url), "utf8")) as { cases: ReferenceCase[] };

describe("DP accountant (RDP of the Gaussian mechanism)", () => {
  for (const c of reference.cases) {
    const name = `z ${c.noiseMultiplier}, δ ${c.delta}, ${c.rounds} round${c.rounds === 1 ? "" : "s"}`;
    it(`${name}: ε matches the independent RDP computation and is never below the exact ε`, () => {
      const spent = gaussianPrivacy(c.noiseMultiplier, c.delta, c.rounds);
      assert.ok(Math.abs(spent.epsilon - c.rdpGrid) <= 1e-9 * c.rdpGrid, `ε ${spent.epsilon} vs reference ${c.rdpGrid}`);
      assert.equal(spent.order, c.order);
      assert.equal(spent.delta, c.delta);
      // The grid can only lose to the best real order, and by little.
      assert.ok(spent.epsilon >= c.rdpContinuous - 1e-9, `grid ε ${spent.epsilon} below the continuous optimum ${c.rdpContinuous}`);
      assert.ok(spent.epsilon <= c.rdpContinuous * 1.001, `grid ε ${spent.epsilon} more than 0.1% above ${c.rdpContinuous}`);
      // Not optimistic: at least the exact ε of the composed Gaussian mechanism (GDP), and within 20% of it.
      assert.ok(spent.epsilon >= c.exact, `ε ${spent.epsilon} below the exact ${c.exact}`);
      assert.ok(spent.epsilon <= c.exact * 1.2, `ε ${spent.epsilon} more than 20% above the exact ${c.exact}`);
    });
  }

  it("composes rounds by adding RDP: k rounds at z equal one round at z/√k", () => {
    for (const [z, k] of [
      [1, 4],
      [2, 9],
      [0.8, 16],
    ] as const) {
      const composed = gaussianPrivacy(z, 1e-5, k).epsilon;
      const single = gaussianPrivacy(z / Math.sqrt(k), 1e-5, 1).epsilon;
      assert.ok(Math.abs(composed - single) <= 1e-9 * composed, `${composed} vs ${single}`);
      assert.ok(composed > gaussianPrivacy(z, 1e-5, k - 1).epsilon);
    }
    const curve = epsilonFromRdp((a) => 3 * gaussianRdp(1.5, a), 1e-5);
    assert.equal(curve.epsilon, gaussianPrivacy(1.5, 1e-5, 3).epsilon);
  });

  it("ε falls as the noise grows and as δ grows", () => {
    const eps = [0.5, 0.8, 1, 1.5, 2, 4, 8, 16].map((z) => gaussianPrivacy(z, 1e-5, 5).epsilon);
    for (let i = 1; i < eps.length; i++) assert.ok(eps[i]! < eps[i - 1]!);
    assert.ok(gaussianPrivacy(1, 1e-3).epsilon < gaussianPrivacy(1, 1e-5).epsilon);
    assert.ok(RDP_ORDERS.every((a, i) => a > 1 && (i === 0 || a > RDP_ORDERS[i - 1]!)));
  });

  it("the sensitivity of a weighted mean is 2·clippingNorm·(largest share)", () => {
    assert.equal(weightedMeanSensitivity([0.25, 0.25, 0.25, 0.25], 2), 1);
    assert.equal(weightedMeanSensitivity([0.1, 0.6, 0.3], 1), 1.2);
    assert.equal(weightedMeanSensitivity(new Array(10).fill(0.1), 3), 2 * 3 * 0.1);
  });

  it("refuses parameters it cannot account for", async () => {
    await expectFlaiError(() => gaussianPrivacy(0, 1e-5), "noiseMultiplier");
    await expectFlaiError(() => gaussianPrivacy(Infinity, 1e-5), "noiseMultiplier");
    await expectFlaiError(() => gaussianPrivacy(1, 0), "delta", "(0, 1)");
    await expectFlaiError(() => gaussianPrivacy(1, 1), "delta");
    await expectFlaiError(() => gaussianPrivacy(1, 1e-5, 0), "rounds");
    await expectFlaiError(() => gaussianPrivacy(1, 1e-5, 1.5), "rounds");
  });
});
