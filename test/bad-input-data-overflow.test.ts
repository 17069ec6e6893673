// Issue 15, wrong answers: a feature column of ±1e308 used to train to an all-zero model (infinite
// scale, so weight 0; or L-BFGS stopping at its start on a non-finite loss) that the enclave signed
// and the contract paid for. Training now refuses, naming the column, and the enclave signs nothing.
import { readFile } from "node:fs/promises";
import path from "node:path";

import { computeRoot, fastRootsReady } from "../src/storage/merkle.js";
import { trainLogisticRegression } from "../src/ml/logistic.js";
import { parseModelSpec, parseTrainingData, trainFromSpec } from "../src/ml/model.js";
import { runTraining } from "../src/tee/program.js";
import { expectFlaiError } from "./helpers/assert.js";
import { FIXTURES, tempDir } from "./helpers/project.js";

const ROOTS = { datasetRoot: `0x${"1".repeat(64)}`, modelRoot: `0x${"2".repeat(64)}` };
const bytes = (text: string) => new TextEncoder().encode(text);

/** fixtures/data.csv with column x3 replaced by ±`magnitude`, alternating by row. */
async function csvWithHugeColumn(magnitude: string): Promise<string> {
  const [header, ...rows] = (await readFile(path.join(FIXTURES, "data.csv"), "utf8")).trim().split("\n");
  const huge = rows.map((row, r) => row.split(",").map((cell, k) => (k === 3 ? `${r % 2 === 0 ? "" : "-"}${magnitude}` : cell)).join(","));
  return [header, ...huge].join("\n") + "\n";
}

async function spec(standardize: boolean): Promise<string> {
  const doc = JSON.parse(await readFile(path.join(FIXTURES, "model.json"), "utf8")) as { hyperparameters: { standardize: boolean } };
  doc.hyperparameters.standardize = standardize;
  return JSON.stringify(doc);
}

async function train(csv: string, standardize: boolean): Promise<unknown> {
  const parsed = parseModelSpec(bytes(await spec(standardize)), "model.json");
  return trainFromSpec(parsed, parseTrainingData(bytes(csv), parsed, "data.csv"), ROOTS);
}

/** 40 rows: column 0 is ±`magnitude`, column 1 small; labels mixed. */
function twoColumns(magnitude: number) {
  const rows = 40;
  const features = new Float64Array(rows * 2);
  const labels = new Uint8Array(rows);
  for (let r = 0; r < rows; r++) {
    features[r * 2] = (r % 2 === 0 ? 1 : -1) * magnitude;
    features[r * 2 + 1] = r % 3;
    labels[r] = (r * 7) % 5 > 2 ? 1 : 0;
  }
  return { rows, cols: 2, features, labels, classes: [0, 1] };
}

describe("bad input: feature values too large for float64 arithmetic", () => {
  it("standardizing a ±1e308 column is refused, naming the column, instead of giving it weight 0", async () => {
    await expectFlaiError(async () => train(await csvWithHugeColumn("1e308"), true), 'Feature column 3 ("x3")', "variance overflows", '"ignore"');
  });

  it("unstandardized ±1e160 features are refused instead of returning the untrained start", async () => {
    await expectFlaiError(() => trainLogisticRegression(twoColumns(1e160), { standardize: false }), "no model was trained", '"standardize": true');
  });

  it("unstandardized ±1e308 features are refused on a non-finite loss", async () => {
    await expectFlaiError(() => trainLogisticRegression(twoColumns(1e308), { standardize: false }), "loss is not a finite number");
  });

  it("the enclave refuses the same job before signing anything", async () => {
    await fastRootsReady();
    const dataset = bytes(await csvWithHugeColumn("1e308"));
    const modelSpec = bytes(await spec(true));
    const binding = {
      chainId: "31337",
      contract: "0x5FbDB2315678afecb367f032d93F642f64180aa3",
      jobId: "1",
      submitter: "0x70997970C51812dc3A010C7d01b50e0d17dc79C8",
      deadline: "9999999999",
      dataRoot: computeRoot(dataset),
      modelRoot: computeRoot(modelSpec),
      payee: "0x70997970C51812dc3A010C7d01b50e0d17dc79C8",
    };
    // An enclave folder with no sealed secrets: reaching the signing step would fail differently.
    const enclaveDir = await tempDir("flai-enclave-");
    await expectFlaiError(() => runTraining({ enclaveDir, dataset, modelSpec, binding }), 'Feature column 3 ("x3")', "overflows");
  });

  it("large values that do not overflow (±1e100, standardized) still train", async () => {
    await train(await csvWithHugeColumn("1e100"), true);
  });
});
