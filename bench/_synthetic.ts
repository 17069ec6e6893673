// Seeded synthetic binary data for the round benches (bench/round.ts, bench/e2e/aggregate.ts):
// y ~ Bernoulli(σ(x·β)) with a sparse β, x ~ N(0, 1) rounded to 2 decimals. 2e8 feature values per
// round are drawn from a table of 64 Ki normal samples through a 32-bit xorshift, since Box–Muller
// per value would take longer than the round itself.
import type { Dataset } from "../src/ml/dataset.js";
import { gaussian, mulberry32 } from "../src/util/prng.js";

/** A generator of datasets with `features` columns; successive calls continue one stream. */
export function syntheticData(features: number, seed = 1): (rows: number) => Dataset {
  const rand = mulberry32(seed);
  const normal = gaussian(rand);
  const beta = new Float64Array(features);
  for (let j = 0; j < features; j += 97) beta[j] = normal();
  const normals = new Float64Array(1 << 16);
  for (let i = 0; i < normals.length; i++) normals[i] = Math.round(normal() * 100) / 100;
  let xorshift = 0x9e3779b9;
  return (rows) => {
    const x = new Float64Array(rows * features);
    const labels = new Uint8Array(rows);
    let s = xorshift;
    for (let r = 0; r < rows; r++) {
      let z = 0;
      const off = r * features;
      for (let j = 0; j < features; j++) {
        s ^= s << 13;
        s ^= s >>> 17;
        s ^= s << 5;
        const v = normals[s & 0xffff]!;
        x[off + j] = v;
        z += v * beta[j]!;
      }
      labels[r] = rand() < 1 / (1 + Math.exp(-z / 4)) ? 1 : 0;
    }
    xorshift = s;
    // Both classes present, so every client's local fit is well-posed.
    labels[0] = 0;
    labels[1] = 1;
    return { rows, cols: features, features: x, labels, classes: [0, 1] };
  };
}

/** A dataset as the JSON text clients upload: {"features": [[...]], "labels": [...]}. */
export function datasetText(ds: Dataset): string {
  const rows: string[] = [];
  for (let r = 0; r < ds.rows; r++) rows.push("[" + Array.from(ds.features.subarray(r * ds.cols, (r + 1) * ds.cols)).join(",") + "]");
  return `{"features":[${rows.join(",")}],"labels":[${Array.from(ds.labels).join(",")}]}`;
}
