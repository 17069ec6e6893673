// Trains a 4-class spec on test/reference/multinomial.csv with fixed roots and prints the trained
// model's result hash: run in separate processes by test/ml/multinomial.test.ts to show that
// multinomial training gives the same bytes in every process.
import { readFile } from "node:fs/promises";
import path from "node:path";

import { modelBytes, parseModelSpec, parseTrainingData, resultHash, trainFromSpec } from "../../src/ml/model.js";

export const MULTINOMIAL_SPEC = {
  format: "flai-model/v1",
  algorithm: "logistic-regression",
  features: 5,
  classes: ["water", "forest", "cropland", "urban"],
  label: "label",
  hyperparameters: { c: 0.5, maxIterations: 200, tolerance: 1e-6, standardize: true },
};
export const FIXED_ROOTS = { datasetRoot: "0x" + "11".repeat(32), modelRoot: "0x" + "22".repeat(32) };

// hardhat-mocha loads every file under test/: train only when started as a script.
if (process.argv[1] === import.meta.filename) {
  const csv = await readFile(path.resolve(import.meta.dirname, "..", "reference", "multinomial.csv"));
  const spec = parseModelSpec(new TextEncoder().encode(JSON.stringify(MULTINOMIAL_SPEC)), "spec");
  const model = trainFromSpec(spec, parseTrainingData(csv, spec, "multinomial.csv"), FIXED_ROOTS);
  process.stdout.write(resultHash(modelBytes(model)) + "\n");
}
