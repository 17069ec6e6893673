// The global model's two formats (issue 14): canonical JSON vs binary (src/federated/global-model-binary.ts),
// each timed as a round uses it: serialize (the enclave's globalModelBytes), SHA-256 (what the chain
// records), parse (parseGlobalModel, checks included: what every client and the next round do).
// The model is a drift-corrected binary task with standardization, so it carries 4·D + 3 numbers
// (weights, bias, correction, mean, scale), full-precision doubles as training leaves them.
// Run alone with `npx tsx bench/e2e/model-format.ts` (JSON lines); SIZES=1e3,1e4 picks the D values.
//
// Floor, measured in this run on the same numbers: what any format must do at least, copying the
// model's float64s into one buffer, hashing that buffer, and copying them back out into the arrays
// a GlobalModel holds.
import { createHash } from "node:crypto";

import { globalModelBytes, parseGlobalModel, type GlobalModel, type ModelFormat } from "../../src/federated/global-model.js";
import { gaussian, mulberry32 } from "../../src/util/prng.js";

import type { Row } from "./row.js";

const SIZES = (process.env.SIZES ?? "1e5,1e6").split(",").map(Number);
const RUNS = Number(process.env.RUNS ?? 7);

/** A round-r model of a drift-corrected task with D features, in `format`. */
export function sampleModel(features: number, format: ModelFormat, seed = 1): GlobalModel {
  const normal = gaussian(mulberry32(seed));
  const numbers = (n: number, scale = 1) => Array.from({ length: n }, () => normal() * scale);
  return {
    format: "flai-global-model/v1",
    algorithm: "logistic-regression",
    features,
    weights: numbers(features, 0.01),
    bias: normal(),
    standardization: { mean: numbers(features), scale: numbers(features).map((v) => 1 + Math.abs(v)) },
    round: 3,
    federated: {
      strategy: { name: "fedavg" },
      local: { maxIterations: 3, c: 1, mu: 0, driftCorrection: { mu: 0.2, maxGradientNorm: 10 } },
      evaluationRoot: "0x" + "ab".repeat(32),
      rules: { maxClientShare: 0.25, minAccepted: 3, maxUpdateNorm: 1e6, rewardRule: "equal" },
      nonce: "0x" + "cd".repeat(32),
      ...(format === "binary" ? { modelFormat: "binary" as const } : {}),
    },
    correction: numbers(features + 1, 1e-3),
    previousHash: "0x" + "ef".repeat(32),
    metrics: { accuracy: 0.9, logLoss: 0.3, accepted: 10, rejected: 0, totalNumExamples: 400, numExamples: 400, dp: null, minAccepted: 3 },
  };
}

/** serialize + SHA-256 + parse of `model`, in ms, and the size of its bytes. */
export function roundTrip(model: GlobalModel): { ms: number; bytes: number } {
  const start = performance.now();
  const bytes = globalModelBytes(model);
  createHash("sha256").update(bytes).digest();
  parseGlobalModel(bytes, "bench model");
  return { ms: performance.now() - start, bytes: bytes.length };
}

/** The floor: the model's float64s copied into one buffer, hashed, and copied back into plain arrays. */
function floor(model: GlobalModel): number {
  const arrays = [model.weights as number[], model.standardization!.mean, model.standardization!.scale, model.correction!];
  const start = performance.now();
  const total = arrays.reduce((s, a) => s + a.length, 1);
  const buffer = new Float64Array(total);
  let offset = 0;
  for (const a of arrays) {
    for (let i = 0; i < a.length; i++) buffer[offset + i] = a[i]!;
    offset += a.length;
  }
  createHash("sha256").update(new Uint8Array(buffer.buffer)).digest();
  const back = new Array<number>(total);
  for (let i = 0; i < total; i++) back[i] = buffer[i]!;
  return performance.now() - start;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

export async function measure(): Promise<Row[]> {
  const rows: Row[] = [];
  for (const features of SIZES) {
    const models = { json: sampleModel(features, "json"), binary: sampleModel(features, "binary") };
    const times = { json: [] as number[], binary: [] as number[], floor: [] as number[] };
    const size = { json: 0, binary: 0 };
    // One untimed run each first (the first size would otherwise time the JIT), then interleaved, so
    // a neighbour's load hits all three alike.
    for (let run = -1; run < RUNS; run++) {
      for (const format of ["json", "binary"] as const) {
        const r = roundTrip(models[format]);
        if (run >= 0) times[format].push(r.ms);
        size[format] = r.bytes;
      }
      const f = floor(models.binary);
      if (run >= 0) times.floor.push(f);
    }
    const floorMs = median(times.floor);
    for (const format of ["binary", "json"] as const) {
      rows.push({
        row: `global model ${format}, D=${features.toExponential()}: serialize+SHA-256+parse`,
        measuredMs: median(times[format]),
        floorMs,
        floorWhat: "copy the model's float64s into one buffer, SHA-256 it, copy them back out",
        note: `${(size[format] / 1e6).toFixed(2)} MB; median of ${RUNS}`,
      });
    }
  }
  return rows;
}

if (process.argv[1] === import.meta.filename) {
  for (const row of await measure()) console.log(JSON.stringify(row));
  process.exit(0);
}
