import { readdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";

import { expect } from "chai";

import { alignClasses, loadSimulationData } from "../../src/federated/simulation-data.js";
import { runSimulation } from "../../src/federated/simulation.js";
import { parseDataset, type Dataset } from "../../src/ml/dataset.js";
import { packageRoot } from "../../src/package-root.js";
import { BUNDLED_DATASETS, resolveData } from "../../src/cli/fl-run-data.js";

import { expectFlaiError } from "../helpers/assert.js";
import { pluginProject, runHardhat } from "../helpers/cli.js";
import { FIXTURES, tempDir, tempProject } from "../helpers/project.js";

/** A tiny dataset with string-like classes, as two separately parsed files may number them. */
function named(labels: number[], classes: Dataset["classes"]): Dataset {
  return { rows: labels.length, cols: 1, features: Float64Array.from(labels, (_, i) => i), labels: Uint8Array.from(labels), classes };
}

describe("fl-run: data and test set", () => {
  it("an external test file replaces the holdout: all of --data trains, every test row scores", async () => {
    const dir = await tempDir();
    const data = path.join(FIXTURES, "data.json");
    const all = parseDataset(await readFile(data), data);
    const test = path.join(dir, "test.csv");
    await writeFile(test, (await readFile(path.join(FIXTURES, "data.csv"), "utf8")).split("\n").slice(0, 41).join("\n") + "\n");
    const loaded = await loadSimulationData({ data, test, seed: 1 });
    expect(loaded.train.rows).to.equal(all.rows);
    expect(loaded.test.rows).to.equal(40);
    expect(loaded.info).to.deep.include({ kind: "file", source: test, rows: 40 });
    expect(loaded.info.labelCounts.reduce((a, b) => a + b, 0)).to.equal(40);

    const held = await loadSimulationData({ data, seed: 1 });
    expect(held.info.kind).to.equal("holdout");
    expect(held.train.rows + held.test.rows).to.equal(all.rows);
    expect(held.info.source).to.equal("20% of the data, stratified");
  });

  it("maps a test file's classes onto the training data's, by value not by index", () => {
    const train = named([0, 1, 2], ["cropland", "forest", "water"]);
    const test = named([0, 0, 1], ["water", "forest"]);
    const aligned = alignClasses(test, train.classes, "test.csv");
    expect(aligned.classes).to.deep.equal(["cropland", "forest", "water"]);
    expect(Array.from(aligned.labels)).to.deep.equal([2, 2, 1]);
  });

  it("refuses a test label the training data never has, naming it and its row", async () => {
    const train = named([0, 1], ["cropland", "forest"]);
    const test = named([0, 1], ["forest", "urban"]);
    await expectFlaiError(
      () => alignClasses(test, train.classes, "test.csv"),
      'test.csv has label "urban" (data row 1)',
      '"cropland", "forest"',
    );
  });

  it("refuses a test file with other feature columns", async () => {
    const dir = await tempDir();
    const test = path.join(dir, "narrow.csv");
    await writeFile(test, "x0,label\n1,0\n2,1\n");
    await expectFlaiError(
      () => loadSimulationData({ data: path.join(FIXTURES, "data.json"), test, seed: 1 }),
      "1 feature column(s) but --data has 8",
    );
  });

  it("--dataset picks a bundled dataset (landcover with its own test file); --data and --dataset together are refused", async () => {
    const fixture = (f: string) => path.join(packageRoot(), "fixtures", f);
    expect(resolveData({})).to.deep.equal({ data: fixture("data.json"), test: undefined });
    expect(resolveData({ dataset: "landcover" })).to.deep.equal({ data: fixture("landcover.csv"), test: fixture("landcover-test.csv") });
    expect(resolveData({ dataset: "landcover", test: "mine.csv" }).test).to.equal("mine.csv");
    expect(resolveData({ data: "a.csv", test: "b.csv" })).to.deep.equal({ data: "a.csv", test: "b.csv" });
    await expectFlaiError(() => resolveData({ data: "a.csv", dataset: "landcover" }), "--data and --dataset");
    await expectFlaiError(() => resolveData({ dataset: "mnist" }), '--dataset "mnist" is not bundled', "sample, landcover");
    for (const files of Object.values(BUNDLED_DATASETS)) for (const f of Object.values(files)) await readFile(fixture(f));
  });
});

describe("fl-run: the command", function () {
  this.timeout(300_000);

  it("writes a new HTML report with CSV and JSON beside it on every run, never overwriting the last", async () => {
    const { project, env } = await pluginProject("flai-flrun");
    const run = async (...extra: string[]) => {
      const done = await runHardhat(["flai:fl-run", "--clients", "3", "--rounds", "1", "--json", ...extra], { cwd: project, env });
      expect(done.code, done.stdout + done.stderr).to.equal(0);
      return JSON.parse(done.stdout) as {
        reportFiles: { html: string; csv: string; json: string };
        rounds: unknown[];
        driftCorrection: unknown;
      };
    };
    const first = await run();
    // fedavg corrects client drift by default; --no-drift-correction turns it off for the task.
    const second = await run("--no-drift-correction");
    expect(first.driftCorrection).to.deep.equal({ mu: 0.2, maxGradientNorm: 10 });
    expect(second.driftCorrection).to.equal(null);
    const refused = await runHardhat(["flai:fl-run", "--strategy", "median", "--no-drift-correction"], { cwd: project, env });
    expect(refused.code).to.not.equal(0);
    expect(refused.stdout + refused.stderr).to.include(
      "--no-drift-correction applies to fedavg and fedprox without --noise-multiplier only",
    );
    expect(second.reportFiles.html).not.to.equal(first.reportFiles.html);
    const reports = await readdir(path.join(project, ".flai", "reports"));
    expect(reports.filter((f) => f.endsWith(".html"))).to.have.length(2);
    expect(reports.filter((f) => f.endsWith(".metrics.csv"))).to.have.length(2);
    expect(reports.filter((f) => f.endsWith(".json"))).to.have.length(2);
    for (const r of [first, second]) {
      expect(path.dirname(r.reportFiles.csv)).to.equal(path.dirname(r.reportFiles.html));
      expect((await readFile(r.reportFiles.csv, "utf8")).split("\n")[0]).to.match(/^round,accuracy,balanced_accuracy,macro_f1,log_loss,/);
      const doc = JSON.parse(await readFile(r.reportFiles.json, "utf8")) as { rounds: unknown[]; baseline: { accuracy: number } };
      expect(doc.rounds).to.have.length(1);
      expect(doc.baseline.accuracy).to.be.within(0, 1);
      expect(await readFile(r.reportFiles.html, "utf8")).to.include(path.basename(r.reportFiles.csv));
    }
  });
});

describe("fl-run: the bundled multi-class dataset (landcover)", function () {
  this.timeout(300_000);

  it("learns 4 classes across rounds on a Dirichlet split, ahead of every client alone and near centralized", async () => {
    const { hre } = await tempProject();
    const result = await runSimulation(hre, hre.flai, {
      ...resolveData({ dataset: "landcover" }),
      clients: 6,
      rounds: 5,
      partition: "dirichlet",
      alpha: 0.3,
      seed: 1,
      strategy: { name: "fedavg" },
      reward: "1",
    });
    const log = JSON.stringify({ rounds: result.rounds.map((r) => r.metrics), centralized: result.centralized, alone: result.alone });
    expect(result.classes).to.deep.equal(["cropland", "forest", "urban", "water"]);
    expect(result.test).to.deep.include({ kind: "file", rows: 600 });
    expect(result.partition.labelCounts.flat().reduce((a, b) => a + b, 0)).to.equal(2000);
    const first = result.rounds[0]!.metrics;
    const last = result.rounds.at(-1)!.metrics;
    expect(last.logLoss, log).to.be.lessThan(first.logLoss);
    expect(last.balancedAccuracy, log).to.be.greaterThan(first.balancedAccuracy);
    expect(last.accuracy, log).to.be.greaterThan(Math.max(...result.alone.map((a) => a.accuracy)));
    expect(last.accuracy, log).to.be.greaterThan(result.baseline.accuracy + 0.3);
    expect(result.centralized.accuracy - last.accuracy, log).to.be.at.most(0.05);
    expect(result.rounds.every((r) => r.verified)).to.equal(true);
  });
});
