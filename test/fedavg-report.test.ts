import { expect } from "chai";

import type { Decision } from "../src/fedavg/aggregator.js";
import { renderReportHtml } from "../src/fedavg/report-html.js";
import { renderReportSummary, sparkline } from "../src/fedavg/report-text.js";
import type { SimulatedRound, SimulationResult } from "../src/fedavg/simulation-types.js";

const hex = (seed: number) => "0x" + seed.toString(16).padStart(2, "0").repeat(32);
const client = (i: number) => "0x" + String(i).repeat(40);
const decision = (round: number, i: number, reason?: string): Decision => ({
  client: client(i),
  updateRoot: hex(round * 16 + i),
  updateHash: hex(round * 16 + i + 8),
  numExamples: 100 + i,
  weight: reason ? 0 : 1,
  ...(reason ? { code: "norm-exceeds-bound" as const, reason } : {}),
});

const XSS = "norm 1e9 exceeds bound <script>alert(1)</script> & more";

function round(n: number, accuracy: number, logLoss: number, rejected: Decision[] = []): SimulatedRound {
  return {
    round: n,
    accuracy,
    logLoss,
    globalRoot: hex(0xa0 + n),
    globalHash: hex(0xb0 + n),
    reportRoot: hex(0xc0 + n),
    commitment: hex(0xd0 + n),
    accepted: [decision(n, 1), decision(n, 2)],
    rejected,
    epsilon: 0.8 * n,
    protection: `2 accepted updates ≥ minimum 1 and DP ε ${n}, δ 0.00001 [round ${n}]`,
    gas: { recordUpdate: [120_000n, 100_000n, 110_000n], finalizeRound: 250_000n + BigInt(n) },
    timings: { train: 40, encrypt: 3, upload: 12.5, chain: 30, aggregate: 8 },
    verified: n !== 2,
  };
}

const result: SimulationResult = {
  taskId: 7n,
  network: "hardhat",
  clients: 3,
  rounds: [round(1, 0.71, 0.62), round(2, 0.8, 0.48, [decision(2, 3, XSS)]), round(3, 0.845, 0.41)],
  strategy: { name: "trimmed-mean", trimFraction: 0.2, clipNorm: 5, noiseMultiplier: 1.1 },
  rules: { maxClientShare: 0.25, minAccepted: 1, maxUpdateNorm: 1e6, rewardRule: "num-examples" },
  partition: { scheme: "dirichlet", alpha: 0.5, seed: 42, sizes: [120, 80, 200] },
  centralized: { accuracy: 0.8675, logLoss: 0.35 },
  privacy: { epsilon: 2.4, delta: 1e-5 },
  rewards: { pool: 10n ** 18n, claimed: 123_456_789_000_000_001n },
  finalModelRoot: hex(0xee),
};

describe("fedavg/report", () => {
  describe("renderReportHtml", () => {
    const html = renderReportHtml(result);

    it("is one HTML document with inline SVG charts", () => {
      expect(html.startsWith("<!DOCTYPE html>")).to.equal(true);
      expect(html.match(/<svg /g)).to.have.length(2);
      expect(html).to.include('class="ref"'); // the dashed centralized line
      expect(html).to.include("stroke-dasharray");
    });

    it("references nothing outside the file", () => {
      expect(html).not.to.match(/https?:\/\//);
      expect(html).not.to.match(/<(script|link|img|iframe)\b/i);
      expect(html).not.to.include("@import");
    });

    it("shows every round's roots, hashes and commitment", () => {
      for (const r of result.rounds) {
        expect(html).to.include(r.globalRoot);
        expect(html).to.include(r.reportRoot);
        expect(html).to.include(`title="${r.globalHash}"`);
        expect(html).to.include(r.commitment);
      }
      expect(html).to.include(result.finalModelRoot);
    });

    it("escapes rejection reasons", () => {
      expect(html).not.to.include("<script>");
      expect(html).to.include("norm 1e9 exceeds bound &lt;script&gt;alert(1)&lt;/script&gt; &amp; more");
      expect(html).to.include(client(3));
    });

    it("shows the summary: centralized accuracy, gap, rewards to 18 decimals, ε/δ, strategy, partition", () => {
      expect(html).to.include("86.75%");
      expect(html).to.include("84.50%");
      expect(html).to.include("gap 2.25 points");
      expect(html).to.include("0.123456789000000001 0G claimed of 1 0G pool");
      expect(html).to.include("ε = 2.400, δ = 0.00001");
      expect(html).to.include("trimmed-mean, trim 0.2, clip 5, noise ×1.1");
      expect(html).to.include("dirichlet (α = 0.5), seed 42");
      expect(html).to.include("400 rows");
    });

    it("shows the round rules, what protected each round, and each rejection's code", () => {
      expect(html).to.include("at least 1 accepted updates per round, no client above 0.25 of a round, update norm ≤ 1000000, num-examples rewards");
      for (const n of [1, 2, 3]) expect(html).to.include(`[round ${n}]`);
      expect(html).to.include("<code>norm-exceeds-bound</code>");
    });

    it("marks verification per round and reports gas", () => {
      expect(html.match(/✓/g)).to.have.length(2);
      expect(html.match(/✗/g)).to.have.length(1);
      expect(html).to.include("250,002"); // finalizeRound of round 2
      expect(html).to.include("110,000"); // mean recordUpdate
    });

    it("says none when nothing was rejected, and survives an empty run", () => {
      const clean = { ...result, rounds: [round(1, 0.7, 0.6)] };
      expect(renderReportHtml(clean)).to.match(/Rejected updates<\/h2>\s*<p>none<\/p>/);
      const empty = renderReportHtml({ ...result, rounds: [], privacy: null });
      expect(empty).to.include("no rounds ran");
      expect(empty).not.to.include("ε = ");
    });
  });

  describe("sparkline", () => {
    it("rises with a monotone series, from the lowest to the highest block", () => {
      const line = sparkline([1, 2, 3, 4, 5, 6, 7, 8]);
      expect(line).to.equal("▁▂▃▄▅▆▇█");
      const blocks = [...sparkline([0.1, 0.15, 0.4, 0.41, 0.9])];
      for (let i = 1; i < blocks.length; i++) expect(blocks[i]! >= blocks[i - 1]!).to.equal(true);
      expect(blocks[0]).to.equal("▁");
      expect(blocks.at(-1)).to.equal("█");
    });

    it("draws a flat series as middle blocks", () => {
      expect(sparkline([0.5, 0.5, 0.5])).to.equal("▄▄▄");
    });

    it("handles empty and single-value series", () => {
      expect(sparkline([])).to.equal("");
      expect(sparkline([3])).to.equal("▄");
    });
  });

  describe("renderReportSummary", () => {
    const lines = renderReportSummary(result);

    it("summarizes accuracy, gap, updates, privacy, rewards, gas and time without ANSI codes", () => {
      const text = lines.join("\n");
      expect(text).not.to.include("\u001b[");
      expect(text).to.include("71.00% → 84.50%");
      expect(text).to.include("84.50% vs centralized 86.75% (gap 2.25 points)");
      expect(text).to.include("6 accepted, 1 rejected");
      expect(text).to.include("ε = 2.400");
      expect(text).to.include("0.123456789000000001 0G claimed of 1 0G pool, by num_examples capped at 0.25 of a round");
      expect(text).to.include("protected 2 accepted updates ≥ minimum 1 and DP ε 3, δ 0.00001 [round 3] (last round)");
      expect(text).to.include("recordUpdate mean 110,000, finalizeRound mean 250,002");
      expect(text).to.include("train 120 ms");
    });
  });
});
