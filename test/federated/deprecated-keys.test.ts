import { expect } from "chai";

import { resolveDeprecatedKeys, warnDeprecatedKeys } from "../../src/federated/deprecated-keys.js";

import { expectFlaiError } from "../helpers/assert.js";

// createTask's former keys (clipNorm, local.mu) are read as Flower's names (clippingNorm,
// local.proximalMu); giving both is refused, and the caller warns once per key.
describe("createTask's deprecated keys", () => {
  it("new keys pass through unchanged, with nothing to warn about", () => {
    const strategy = { name: "fedavg" as const, clippingNorm: 2, noiseMultiplier: 1 };
    const local = { maxIterations: 4, proximalMu: 0.1 };
    const resolved = resolveDeprecatedKeys(strategy, local);
    expect(resolved.strategy).to.equal(strategy);
    expect(resolved.local).to.equal(local);
    expect(resolved.deprecated).to.deep.equal([]);
    expect(resolveDeprecatedKeys(undefined, undefined)).to.deep.equal({ strategy: undefined, local: undefined, deprecated: [] });
  });

  it("an old key is read as its new one, and named for the warning", () => {
    const resolved = resolveDeprecatedKeys({ name: "fedprox", clipNorm: 3 }, { mu: 0.05, maxIterations: 2 });
    expect(resolved.strategy).to.deep.equal({ name: "fedprox", clippingNorm: 3 });
    expect(resolved.local).to.deep.equal({ maxIterations: 2, proximalMu: 0.05 });
    expect(resolved.deprecated).to.deep.equal([
      { old: "strategy.clipNorm", new: "strategy.clippingNorm" },
      { old: "local.mu", new: "local.proximalMu" },
    ]);
  });

  it("an old key and its new one together are refused, naming both", async () => {
    await expectFlaiError(
      () => resolveDeprecatedKeys({ name: "fedavg", clipNorm: 1, clippingNorm: 2 }, undefined),
      "both strategy.clippingNorm (2) and strategy.clipNorm (1)",
      "Keep strategy.clippingNorm only",
    );
    await expectFlaiError(
      () => resolveDeprecatedKeys(undefined, { mu: 0.1, proximalMu: 0.1 }),
      "both local.proximalMu (0.1) and local.mu (0.1)",
      "Keep local.proximalMu only",
    );
  });

  it("warns once per old key in a process", () => {
    const lines: string[] = [];
    const key = { old: "test.onlyOnce", new: "test.new" };
    warnDeprecatedKeys([key], (line) => lines.push(line));
    warnDeprecatedKeys([key], (line) => lines.push(line));
    expect(lines).to.deep.equal(["Warning: createTask option test.onlyOnce is deprecated; use test.new (it was read as test.new)."]);
  });
});
