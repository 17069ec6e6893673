import { expect } from "chai";

import { globalModelBytes, parseGlobalModel, roundRules, taskNonce, type GlobalModel } from "../../src/federated/global-model.js";
import { describeProtection, protectionOf, resolveRules } from "../../src/federated/round-rules.js";
import { strategyFromArgs } from "../../src/cli/strategy-args.js";

import { expectFlaiError } from "../helpers/assert.js";

const ZERO = "0x" + "0".repeat(64);

function model(federated: Partial<GlobalModel["federated"]> = {}): GlobalModel {
  return {
    format: "flai-global-model/v1",
    algorithm: "logistic-regression",
    features: 2,
    weights: [0, 0],
    bias: 0,
    standardization: null,
    round: 0,
    federated: { strategy: { name: "fedavg" }, local: { maxIterations: 1, c: 1, mu: 0 }, evaluationRoot: ZERO, ...federated },
    previousHash: null,
    metrics: null,
  };
}

describe("fedavg/round rules (the task's rules the enclave enforces)", () => {
  it("defaults: share cap 0.25, 3 accepted updates (1 with DP noise), norm bound 1e6, equal rewards", () => {
    expect(resolveRules(undefined, { name: "fedavg" })).to.deep.equal({
      maxClientShare: 0.25,
      minAccepted: 3,
      maxUpdateNorm: 1e6,
      rewardRule: "equal",
    });
    expect(resolveRules({}, { name: "fedavg", clippingNorm: 1, noiseMultiplier: 1 }).minAccepted).to.equal(1);
    // An explicit minimum applies with noise too.
    expect(resolveRules({ minAccepted: 5 }, { name: "fedavg", clippingNorm: 1, noiseMultiplier: 1 }).minAccepted).to.equal(5);
  });

  it("a model without rules (made before they existed) gets the defaults; one with rules keeps them", () => {
    expect(roundRules(model()).minAccepted).to.equal(3);
    const rules = resolveRules({ minAccepted: 4, rewardRule: "num-examples" }, { name: "median" });
    const m = parseGlobalModel(globalModelBytes(model({ rules, nonce: taskNonce() })), "m");
    expect(roundRules(m)).to.deep.equal(rules);
  });

  it("bad rules are refused by name, in the model and as flags", async () => {
    const bad = (rules: object) => () => parseGlobalModel(globalModelBytes(model({ rules: rules as never })), "the model");
    await expectFlaiError(
      bad({ maxClientShare: 0, minAccepted: 3, maxUpdateNorm: 1, rewardRule: "equal" }),
      "federated.rules",
      "maxClientShare",
      "(0, 1]",
    );
    await expectFlaiError(bad({ maxClientShare: 0.5, minAccepted: 0, maxUpdateNorm: 1, rewardRule: "equal" }), "minAccepted");
    await expectFlaiError(
      bad({ maxClientShare: 0.5, minAccepted: 3, maxUpdateNorm: 1e300, rewardRule: "equal" }),
      "maxUpdateNorm",
      "1e100",
    );
    await expectFlaiError(
      bad({ maxClientShare: 0.5, minAccepted: 3, maxUpdateNorm: 1, rewardRule: "stake" }),
      "rewardRule",
      '"num-examples"',
    );
    await expectFlaiError(() => parseGlobalModel(globalModelBytes(model({ nonce: "0x12" })), "the model"), "federated.nonce");
    // A stored strategy with clippingNorm's former key is refused, never read as unclipped.
    const formerKey = model({ strategy: { name: "fedavg", clipNorm: 1 } as never });
    await expectFlaiError(
      () => parseGlobalModel(globalModelBytes(formerKey), "the model"),
      "federated.strategy.clipNorm",
      '"clippingNorm"',
    );

    const flags = (extra: object) => () => strategyFromArgs({ strategy: "fedavg", ...extra });
    await expectFlaiError(flags({ maxClientShare: "1.5" }), "--max-client-share", "≤ 1", '"1.5"');
    await expectFlaiError(flags({ maxClientShare: "0" }), "--max-client-share");
    await expectFlaiError(flags({ minAccepted: "0" }), "--min-accepted", "from 1");
    await expectFlaiError(flags({ minAccepted: "2.5" }), "--min-accepted");
    await expectFlaiError(flags({ maxUpdateNorm: "1e101" }), "--max-update-norm", "1e100");
    await expectFlaiError(flags({ rewardRule: "stake" }), "--reward-rule", "equal, num-examples", '"stake"');
  });

  it("flags set only the rules given; createTask fills in the rest", () => {
    expect(strategyFromArgs({ strategy: "fedavg" }).rules).to.deep.equal({});
    expect(
      strategyFromArgs({ strategy: "median", maxClientShare: "0.5", minAccepted: "4", maxUpdateNorm: "1e3", rewardRule: "num-examples" })
        .rules,
    ).to.deep.equal({
      maxClientShare: 0.5,
      minAccepted: 4,
      maxUpdateNorm: 1000,
      rewardRule: "num-examples",
    });
  });

  it("says what protects a finalized round: its accepted count against the minimum, and/or DP (ε, δ)", () => {
    const rules = resolveRules(undefined, { name: "fedavg" });
    expect(describeProtection(protectionOf(5, 0, rules, { name: "fedavg" }))).to.equal("5 accepted updates ≥ minimum 3");
    const dp = { name: "fedavg", clippingNorm: 1, noiseMultiplier: 2, dpDelta: 1e-6 } as const;
    expect(describeProtection(protectionOf(2, 1.234, resolveRules(undefined, dp), dp))).to.equal("DP ε 1.234, δ 0.000001");
    expect(describeProtection(protectionOf(4, 0.5, rules, dp))).to.equal("4 accepted updates ≥ minimum 3 and DP ε 0.5, δ 0.000001");
    expect(describeProtection(protectionOf(1, 0, { ...rules, minAccepted: 1 }, { name: "fedavg" }))).to.match(
      /^none: only 1 accepted update and no DP noise/,
    );
  });
});
