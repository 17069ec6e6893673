// Regenerates fixtures/data.json, fixtures/data.csv and fixtures/model.json deterministically.
// Run: npx tsx scripts/make-fixtures.ts
import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

import { gaussian, mulberry32 } from "../src/util/prng.js";

const ROWS = 400;
const FEATURES = 8;
const SEED = 0x5eed_f1a1;
// Two Gaussian classes 3σ apart along the first five features (≈ 93% Bayes accuracy); the other
// three are noise. Offsets and scales differ per feature so standardization matters.
const SHIFT = [1.2, -1.0, 0.8, 0.6, -0.7, 0, 0, 0];
const OFFSET = [0, 50, -3, 100, 1, 0, 20, -10];
const SCALE = [1, 5, 0.2, 10, 1, 2, 0.5, 3];

const round4 = (v: number) => Math.round(v * 1e4) / 1e4 + 0; // + 0 turns -0 into 0

const rand = mulberry32(SEED);
const normal = gaussian(rand);
const features: number[][] = [];
const labels: number[] = [];
for (let i = 0; i < ROWS; i++) {
  const label = rand() < 0.5 ? 0 : 1;
  const sign = label === 1 ? 1 : -1;
  const row: number[] = [];
  for (let j = 0; j < FEATURES; j++) row.push(round4(OFFSET[j]! + SCALE[j]! * (normal() + sign * SHIFT[j]!)));
  features.push(row);
  labels.push(label);
}

const out = (name: string) => fileURLToPath(new URL(`../fixtures/${name}`, import.meta.url));
const json = `{"features":[\n${features.map((r) => JSON.stringify(r)).join(",\n")}\n],\n` + `"labels":${JSON.stringify(labels)}}\n`;
writeFileSync(out("data.json"), json);
const header = [...Array.from({ length: FEATURES }, (_, j) => `x${j}`), "label"].join(",");
writeFileSync(out("data.csv"), [header, ...features.map((r, i) => [...r, labels[i]].join(","))].join("\n") + "\n");
const spec = {
  format: "flai-model/v1",
  algorithm: "logistic-regression",
  features: FEATURES,
  hyperparameters: { c: 1.0, maxIterations: 100, tolerance: 1e-4, standardize: true },
};
writeFileSync(out("model.json"), JSON.stringify(spec, null, 2) + "\n");
console.log(`wrote ${ROWS}×${FEATURES} (${labels.filter((l) => l === 1).length} positive) to fixtures/`);
