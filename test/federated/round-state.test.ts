import { expect } from "chai";

import { effectiveNow, isFailed, roundPhase, type RoundPhase } from "../../src/federated/round-state.js";

/** A round with deadline 1000 and finalizeBy 1600 (roundDuration 600), quorum 2 unless a case says. */
const round = (over: Partial<Parameters<typeof roundPhase>[0]> = {}) => ({
  deadline: 1000n,
  finalizeBy: 1600n,
  updateCount: 0,
  closed: false,
  finalized: false,
  ...over,
});

describe("round phases (the contract's close and cancel rules)", () => {
  const cases: Array<[string, Parameters<typeof roundPhase>[0], bigint, RoundPhase]> = [
    ["a round not opened yet", round({ deadline: 0n, finalizeBy: 0n }), 5n, "not-started"],
    ["before its deadline", round({ updateCount: 1 }), 999n, "open"],
    ["at its deadline (the contract closes after it)", round({ updateCount: 1 }), 1000n, "open"],
    ["past its deadline without the quorum, though the view still says open", round({ updateCount: 1 }), 1001n, "failed-no-quorum"],
    ["past its deadline with nothing at all", round(), 5000n, "failed-no-quorum"],
    ["closed early by the enclave at the quorum", round({ updateCount: 2, closed: true }), 500n, "awaiting-result"],
    ["past its deadline with the quorum, inside the finalize window", round({ updateCount: 3 }), 1600n, "awaiting-result"],
    ["past the finalize window with the quorum", round({ updateCount: 3, closed: true }), 1601n, "failed-not-finalized"],
    ["finalized, whatever the time", round({ updateCount: 3, closed: true, finalized: true }), 9999n, "finalized"],
  ];
  for (const [what, facts, now, phase] of cases) {
    it(`${what}: ${phase}`, () => {
      expect(roundPhase(facts, 2, now)).to.equal(phase);
    });
  }

  it("only failed phases let the creator cancel", () => {
    const all: RoundPhase[] = ["not-started", "open", "awaiting-result", "failed-no-quorum", "failed-not-finalized", "finalized"];
    expect(all.filter(isFailed)).to.deep.equal(["failed-no-quorum", "failed-not-finalized"]);
  });

  it("judges at the later of the chain's latest block and the clock", () => {
    expect(effectiveNow(100, 50_000)).to.equal(100n); // chain ahead (time travelled)
    expect(effectiveNow(100, 500_000)).to.equal(500n); // quiet chain: its latest block is old
  });
});
