// A fixed multinomial, drift-corrected, standardized global model whose numbers include the awkward
// ones (subnormals, the largest double, 0.1 + 0.2, seeded full-precision doubles): run as a script
// it prints the SHA-256 of its binary bytes, so test/federated/model-binary.test.ts can show another
// process writes the same bytes.
import { createHash } from "node:crypto";

import { globalModelBytes, type GlobalModel } from "../../src/federated/global-model.js";
import { gaussian, mulberry32 } from "../../src/util/prng.js";

export const AWKWARD = [0.1 + 0.2, Number.MIN_VALUE, -Number.MAX_VALUE, 2 ** 53 + 2, -1e-300, 1 / 3, 5e-324 * 3];

/** The model, with `features` ≥ AWKWARD.length features and 3 classes. */
export function sampleBinaryModel(features = 12): GlobalModel {
  const normal = gaussian(mulberry32(7));
  const row = () => Array.from({ length: features }, (_, j) => (j < AWKWARD.length ? AWKWARD[j]! : normal()));
  return {
    format: "flai-global-model/v1",
    algorithm: "logistic-regression",
    features,
    classes: ["a", "b", 3],
    weights: [row(), row().map((v) => -v), row().map((v) => v / 3)],
    bias: [normal(), 0, -0.5],
    standardization: { mean: row(), scale: row().map((v) => 1 + Math.abs(v)) },
    round: 2,
    federated: {
      strategy: { name: "fedavg" },
      local: { maxIterations: 3, c: 1, mu: 0, driftCorrection: { mu: 0.2, maxGradientNorm: 10 } },
      evaluationRoot: "0x" + "ab".repeat(32),
      rules: { maxClientShare: 0.25, minAccepted: 3, maxUpdateNorm: 1e6, rewardRule: "equal" },
      nonce: "0x" + "cd".repeat(32),
      modelFormat: "binary",
    },
    correction: Array.from({ length: 3 * (features + 1) }, () => normal() * 1e-3),
    previousHash: "0x" + "ef".repeat(32),
    metrics: { accuracy: 0.9, logLoss: 0.3, accepted: 3, rejected: 0, totalNumExamples: 120, numExamples: 120, dp: null, minAccepted: 3 },
  };
}

// hardhat-mocha loads every file under test/: print only when started as a script.
if (process.argv[1] === import.meta.filename) {
  process.stdout.write("0x" + createHash("sha256").update(globalModelBytes(sampleBinaryModel())).digest("hex") + "\n");
}
