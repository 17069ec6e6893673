import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";

import { expect } from "chai";

import type { Decision } from "../../src/federated/aggregator.js";
import { claimReportFiles, metricsCsv, reportStamp, resultJson, writeReport } from "../../src/federated/report-files.js";
import { renderReportHtml } from "../../src/federated/report-html.js";
import { renderReportSummary, sparkline } from "../../src/federated/report-text.js";
import type { SimulatedRound, SimulationResult } from "../../src/federated/simulation-types.js";

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
    metrics: { accuracy, logLoss, balancedAccuracy: accuracy - 0.05, macroF1: accuracy - 0.04 },
    globalRoot: hex(0xa0 + n),
    globalHash: hex(0xb0 + n),
    reportRoot: hex(0xc0 + n),
    commitment: hex(0xd0 + n),
    accepted: [decision(n, 1), decision(n, 2)],
    rejected,
    dp: { epsilon: 0.8, epsilonTotal: 0.8 + 0.6 * (n - 1), delta: 1e-5, accountant: "rdp" },
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
  clientAddresses: [client(1), client(2), client(3)],
  rounds: [round(1, 0.71, 0.62), round(2, 0.8, 0.48, [decision(2, 3, XSS)]), round(3, 0.845, 0.41)],
  strategy: { name: "trimmed-mean", trimFraction: 0.2, clippingNorm: 5, noiseMultiplier: 1.1 },
  rules: { maxClientShare: 0.25, minAccepted: 1, maxUpdateNorm: 1e6, rewardRule: "num-examples" },
  classes: ["0", "1"],
  partition: {
    scheme: "dirichlet",
    alpha: 0.5,
    seed: 42,
    sizes: [120, 80, 200],
    labelCounts: [
      [100, 20],
      [0, 80],
      [110, 90],
    ],
  },
  test: { kind: "holdout", source: "20% of the data, stratified", rows: 100, labelCounts: [52, 48] },
  baseline: { majorityClass: "0", accuracy: 0.52 },
  centralized: { accuracy: 0.8675, logLoss: 0.35, balancedAccuracy: 0.86, macroF1: 0.865 },
  alone: [
    { accuracy: 0.61, balancedAccuracy: 0.6 },
    { accuracy: 0.48, balancedAccuracy: 0.5 },
    { accuracy: 0.83, balancedAccuracy: 0.82 },
  ],
  privacy: { epsilon: 2.4, delta: 1e-5, accountant: "rdp" },
  rewards: { pool: 10n ** 18n, claimed: 123_456_789_000_000_001n },
  finalModelRoot: hex(0xee),
};

describe("fedavg/report", () => {
  describe("renderReportHtml", () => {
    const html = renderReportHtml(result);

    it("is one HTML document with inline SVG charts", () => {
      expect(html.startsWith("<!DOCTYPE html>")).to.equal(true);
      // label mix, scores, log-loss, privacy
      expect(html.match(/<svg /g)).to.have.length(4);
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
      expect(html).to.include(
        "at least 1 accepted updates per round, no client above 0.25 of a round, update norm ≤ 1000000, num-examples rewards",
      );
      for (const n of [1, 2, 3]) expect(html).to.include(`[round ${n}]`);
      expect(html).to.include("<code>norm-exceeds-bound</code>");
    });

    it("marks verification per round and reports gas", () => {
      expect(html.match(/title="verified"/g)).to.have.length(2);
      expect(html.match(/title="not verified"/g)).to.have.length(1);
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

  describe("report layout and honesty", () => {
    const html = renderReportHtml(result);

    /** The cy of every dot of the chart whose aria-label starts with `label`. */
    function dotYs(doc: string, label: string): number[] {
      const svg = doc.split("<svg ").find((part) => part.includes(`aria-label="${label}`))!;
      return [...svg.matchAll(/<circle class="dot s-acc" cx="[\d.]+" cy="([\d.]+)"/g)].map((m) => Number(m[1]));
    }

    it("has no fixed width over 1280 px anywhere (no horizontal scrolling at 1280)", () => {
      const widths = [...html.matchAll(/(?:min-|max-)?width:\s*(\d+)px/g)].map((m) => Number(m[1]));
      expect(widths.length).to.be.greaterThan(0);
      for (const w of widths) expect(w).to.be.at.most(1280);
      expect(html).not.to.match(/<(table|div|main|svg)[^>]*\swidth="\d{4,}"/);
      expect(html).to.match(/\.chart \{ width: 100%/);
    });

    it("shortens every hash but keeps the full value in its title and in the markup", () => {
      const codes = [...html.matchAll(/<code class="hash" title="([^"]+)">(.*?)<\/code>/g)];
      expect(codes.length).to.be.greaterThan(3 * 4);
      for (const [, full, inner] of codes) {
        expect(inner!.replace(/<[^>]+>/g, "")).to.equal(full); // the middle is clipped by CSS, not removed
        if (full!.length > 14) expect(inner).to.include('class="h-mid"');
      }
      expect(html).to.match(/code\.hash \{[^}]*user-select: all/);
    });

    it("draws each client's label mix, with counts in the tooltips, and the test set's", () => {
      expect(html).to.include("client 1: 0 100 rows (83.3%)");
      expect(html).to.include("client 3: 1 90 rows (45.0%)");
      expect(html).to.include("test set: 1 48 rows (48.0%)");
      expect(html).not.to.include("client 2: 0 0 rows"); // empty classes draw no segment
    });

    it("puts scores on the baseline-to-100% scale, so small changes look small", () => {
      // Baseline 52% → the axis runs 50%..100%.
      const svg = html.split("<svg ").find((part) => part.includes('aria-label="score (%)'))!;
      expect(svg).to.include(">50%<");
      expect(svg).to.include(">100%<");
      // A log-loss change of 1e-5 moves the dot by far less than a pixel, not across the chart.
      const flat = renderReportHtml({ ...result, rounds: [round(1, 0.8, 0.16071), round(2, 0.8, 0.1607), round(3, 0.8, 0.16069)] });
      const ys = dotYs(flat, "log-loss");
      expect(ys).to.have.length(3);
      expect(Math.max(...ys) - Math.min(...ys)).to.be.lessThan(0.5);
      const ys2 = dotYs(flat, "score");
      expect(Math.max(...ys2) - Math.min(...ys2)).to.equal(0);
    });

    it("shows ε of each round and composed so far, with δ and the accountant", () => {
      expect(html).to.include("Privacy per round");
      expect(html).to.include("δ = 0.00001; the total is composed by the rdp accountant");
      expect(html).to.match(/<td>0\.800<\/td><td>2\.000<\/td>/); // round 3: ε 0.8, total 2.0
      const noDp = renderReportHtml({ ...result, rounds: result.rounds.map((r) => ({ ...r, dp: null })), privacy: null });
      expect(noDp).to.include("No central differential privacy");
      expect(noDp).not.to.include("ε total"); // no column of dashes
    });

    it("notes beside each client's bar what a model trained on its share alone scores", () => {
      expect(html).to.include("120 rows · alone 61.00%");
      expect(html).to.include("80 rows · alone 48.00%");
    });

    it("marks every client's update per round: accepted, rejected with its reason, or absent", () => {
      const grid = html.split("<h2>Participation</h2>")[1]!.split("<h2>")[0]!;
      expect(grid.match(/<tr>/g)).to.have.length(1 + 3);
      expect(grid.match(/title="accepted: /g)).to.have.length(6);
      expect(grid).to.include('title="rejected: norm-exceeds-bound norm 1e9 exceeds bound &lt;script&gt;');
      expect(grid.match(/title="no update this round"/g)).to.have.length(2); // client 3 in rounds 1 and 3
    });

    it("shows balanced accuracy and macro-F1 for imbalanced or multi-class data only", () => {
      expect(html).not.to.include("Balanced acc.");
      const multi = renderReportHtml({ ...result, classes: ["a", "b", "c"], test: { ...result.test, labelCounts: [40, 30, 30] } });
      expect(multi).to.include("Balanced acc.");
      expect(multi).to.include("macro-F1");
      const skewed = renderReportHtml({ ...result, test: { ...result.test, labelCounts: [90, 10] } });
      expect(skewed).to.include("Balanced acc.");
    });

    it("states the majority baseline, each client alone, and the test set", () => {
      expect(html).to.include("52.00% (always “0”, the training data's most frequent class)");
      expect(html).to.include("48.00% to 83.00%");
      expect(html).to.include("100 rows held out (20% of the data, stratified)");
    });
  });

  describe("report files", () => {
    let dir: string;
    before(async () => {
      dir = await mkdtemp(path.join(tmpdir(), "flai-report-"));
    });
    after(async () => {
      await rm(dir, { recursive: true, force: true });
    });

    it("writes HTML, CSV and JSON side by side, and a second run never overwrites the first", async () => {
      const base = path.join(dir, "reports", `fl-run-task-7-${reportStamp(new Date(Date.UTC(2026, 11, 4, 22, 18, 30)))}`);
      const first = await claimReportFiles(base);
      await writeReport(result, first);
      const second = await claimReportFiles(base);
      await writeReport({ ...result, taskId: 8n }, second);
      expect(first.html).to.equal(`${base}.html`);
      expect(second.html).to.equal(`${base}-2.html`);
      expect((await readdir(path.dirname(base))).sort()).to.deep.equal(
        ["-2.html", "-2.json", "-2.metrics.csv", ".html", ".json", ".metrics.csv"].map((s) => `fl-run-task-7-20261204T221830Z${s}`).sort(),
      );
      expect(await readFile(first.html, "utf8")).to.include("task 7");
      expect(await readFile(second.html, "utf8")).to.include("task 8");
      expect(await readFile(first.html, "utf8")).to.include("fl-run-task-7-20261204T221830Z.metrics.csv");
    });

    it("CSV: a header, one row per round, then the centralized row", () => {
      const lines = metricsCsv(result).trimEnd().split("\n");
      expect(lines[0]).to.equal(
        "round,accuracy,balanced_accuracy,macro_f1,log_loss,accepted,rejected,epsilon,epsilon_total,delta,global_hash,verified",
      );
      expect(lines).to.have.length(1 + 3 + 1);
      expect(lines[2]!.split(",").slice(0, 8)).to.deep.equal(["2", "0.8", "0.75", "0.76", "0.48", "2", "1", "0.8"]);
      expect(lines[4]!.startsWith("centralized,0.8675,0.86,0.865,0.35,")).to.equal(true);
    });

    it("JSON: the whole result, bigints as decimal strings", () => {
      const doc = JSON.parse(resultJson(result)) as { taskId: string; rewards: { claimed: string }; rounds: unknown[] };
      expect(doc.taskId).to.equal("7");
      expect(doc.rewards.claimed).to.equal("123456789000000001");
      expect(doc.rounds).to.have.length(3);
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

    it("on a meaningful range, a tiny change stays flat instead of spanning every block", () => {
      expect(sparkline([0.16071, 0.1607, 0.16069], { min: 0, max: Math.log(2) })).to.equal("▃▃▃");
      expect(sparkline([0.5, 1], { min: 0.5, max: 1 })).to.equal("▁█");
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
