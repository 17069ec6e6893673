/**
 * Federated convergence on a non-IID split, without a chain: every strategy's accuracy / log-loss
 * per round against centralized training on the same rows (issue 13's measurements). The strategy
 * rows run WITHOUT drift correction (the protocol's default for fedavg/fedprox without noise since
 * issue 13), so they show what the correction closes; --drift adds the corrected (default) row.
 *
 *   npx tsx bench/fl-convergence.ts [--data fixtures/data.json | fixtures/landcover.csv | breast-cancer] [--clients 10]
 *     [--alpha 0.3] [--rounds 10] [--seeds 1,2,3] [--iterations 3,25] [--strategies fedavg,median,trimmed-mean]
 *     [--clip 1 --noise 1]   (central DP on fedavg/fedprox: ε per round and over the run are printed)
 *     [--test fixtures/landcover-test.csv]   (train on every row of --data, evaluate on this file; no holdout)
 *     [--drift 0.2]   (adds a "drift" row per seed: fedavg with drift correction, the task default, with
 *                      this proximal mu, see src/federated/drift-correction.ts; clients may then hold one class only)
 *
 * Issue 13 (landcover, 4 classes; the drift rows end within 2 points of centralized):
 *   npx tsx bench/fl-convergence.ts --data fixtures/landcover.csv --test fixtures/landcover-test.csv \
 *     --clients 10 --seeds 1,2,3,4,5 --iterations 3 --strategies fedavg --drift 0.2
 *
 * `--data breast-cancer` exports scikit-learn's bundled Wisconsin breast-cancer set (569 rows, 30
 * features) with /usr/bin/python3, when scikit-learn is installed there (no download).
 */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";

import { DEFAULT_DRIFT_CORRECTION } from "../src/federated/drift-correction.js";
import { evaluate } from "../src/federated/evaluate.js";
import { runRoundsInProcess } from "../src/federated/in-process.js";
import { DEFAULT_LOCAL_ITERATIONS } from "../src/federated/local-training.js";
import { holdoutSplit, partitionDataset } from "../src/federated/partition.js";
import type { StrategyConfig, StrategyName } from "../src/federated/strategies.js";
import { parseDataset, type Dataset } from "../src/ml/dataset.js";
import { computeStandardization, trainLogisticRegression } from "../src/ml/logistic.js";

const EXPORT_BREAST_CANCER = `
import json
from sklearn.datasets import load_breast_cancer
d = load_breast_cancer()
print(json.dumps({"features": d.data.tolist(), "labels": [int(y) for y in d.target]}))
`;

function option(name: string, fallback: string): string {
  const at = process.argv.indexOf(`--${name}`);
  return at === -1 ? fallback : process.argv[at + 1]!;
}

function load(data: string): Dataset {
  if (data === "breast-cancer") {
    return parseDataset(
      execFileSync("/usr/bin/python3", ["-c", EXPORT_BREAST_CANCER], { maxBuffer: 1 << 26 }),
      "breast-cancer (scikit-learn)",
    );
  }
  return parseDataset(readFileSync(data), data);
}

const pct = (x: number) => (100 * x).toFixed(1);

function main(): void {
  const data = option("data", "fixtures/data.json");
  const clients = Number(option("clients", "10"));
  const alpha = Number(option("alpha", "0.3"));
  const rounds = Number(option("rounds", "10"));
  const seeds = option("seeds", "1,2,3").split(",").map(Number);
  const iterations = option("iterations", "3,25").split(",").map(Number);
  const strategies = option("strategies", "fedavg,median,trimmed-mean").split(",") as StrategyName[];
  const clip = process.argv.includes("--clip") ? Number(option("clip", "1")) : undefined;
  const noise = process.argv.includes("--noise") ? Number(option("noise", "1")) : undefined;
  const testFile = process.argv.includes("--test") ? option("test", "") : undefined;
  const drift = process.argv.includes("--drift") ? Number(option("drift", String(DEFAULT_DRIFT_CORRECTION.mu))) : undefined;
  const all = load(data);
  const held = testFile === undefined ? undefined : parseDataset(readFileSync(testFile), testFile, { classes: all.classes });
  console.log(
    `${data}: ${all.rows} rows × ${all.cols} features; ${clients} clients, Dirichlet ${alpha}, ${rounds} rounds, ${held ? `tested on ${testFile}` : "holdout 20%"}`,
  );
  console.log("seed | strategy | local iterations | round 1 acc / log-loss | final acc / log-loss | centralized");
  for (const seed of seeds) {
    const { train, test } = held === undefined ? holdoutSplit(all, 0.2, seed) : { train: all, test: held };
    // With drift correction measured, clients may hold one class (as flai:fl-run splits), for every row.
    const shares = partitionDataset(train, clients, { scheme: "dirichlet", alpha, seed, allowOneClass: drift !== undefined });
    // The shared scaling comes from the clients' pooled rows here (a simulation may); never from the test set.
    const standardization = computeStandardization(train);
    const central = evaluate(trainLogisticRegression(train, { c: 1, maxIterations: 500, standardization }), test);
    for (const name of strategies) {
      for (const maxIterations of iterations) {
        const strategy: StrategyConfig = {
          name,
          ...(clip !== undefined && { clippingNorm: clip }),
          ...(noise !== undefined && { noiseMultiplier: noise }),
        };
        const run = runRoundsInProcess(
          { features: all.cols, classes: all.classes, standardization, strategy, local: { maxIterations, driftCorrection: false } },
          shares,
          test,
          rounds,
          seed,
        );
        const first = run.rounds[0]!;
        const last = run.rounds.at(-1)!;
        const dp = run.model.metrics?.dp;
        console.log(
          `${seed} | ${name} | ${maxIterations} | ${pct(first.accuracy)}% / ${first.logLoss.toFixed(3)} | ` +
            `${pct(last.accuracy)}% / ${last.logLoss.toFixed(3)} | ${pct(central.accuracy)}% / ${central.logLoss.toFixed(3)}` +
            (dp ? ` | ε ${dp.epsilon.toFixed(2)} per round, ${dp.epsilonTotal.toFixed(2)} over ${rounds} (δ ${dp.delta})` : ""),
        );
      }
    }
    if (drift !== undefined) {
      const task = {
        features: all.cols,
        classes: all.classes,
        standardization,
        local: { driftCorrection: { ...DEFAULT_DRIFT_CORRECTION, mu: drift } },
      };
      const run = runRoundsInProcess(task, shares, test, rounds, seed);
      const first = run.rounds[0]!;
      const last = run.rounds.at(-1)!;
      console.log(
        `${seed} | fedavg + drift correction (mu ${drift}) | ${DEFAULT_LOCAL_ITERATIONS} | ${pct(first.accuracy)}% / ${first.logLoss.toFixed(3)} | ` +
          `${pct(last.accuracy)}% / ${last.logLoss.toFixed(3)} | ${pct(central.accuracy)}% / ${central.logLoss.toFixed(3)}`,
      );
    }
  }
}

if (process.argv[1] === import.meta.filename) main();
