// Trains fixtures/model.json on fixtures/data.json with fixed roots and prints the result hash:
// run in separate processes by test/verify/verify.test.ts to show re-execution is deterministic.
import { readFile } from "node:fs/promises";
import path from "node:path";

import { parseDataset } from "../../src/ml/dataset.js";
import { modelBytes, parseModelSpec, resultHash, trainFromSpec } from "../../src/ml/model.js";

const FIXED_ROOTS = { datasetRoot: "0x" + "11".repeat(32), modelRoot: "0x" + "22".repeat(32) };

// hardhat-mocha loads every file under test/: train only when started as a script.
if (process.argv[1] === import.meta.filename) {
  const fixtures = path.resolve(import.meta.dirname, "..", "..", "fixtures");
  const dataset = parseDataset(await readFile(path.join(fixtures, "data.json")), "data.json");
  const spec = parseModelSpec(await readFile(path.join(fixtures, "model.json")), "model.json");
  process.stdout.write(resultHash(modelBytes(trainFromSpec(spec, dataset, FIXED_ROOTS))) + "\n");
}
