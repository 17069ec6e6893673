import { expect } from "chai";

import { holdoutSplit, partitionDataset } from "../../src/federated/partition.js";
import type { Dataset } from "../../src/ml/dataset.js";
import { mulberry32 } from "../../src/util/prng.js";

import { expectFlaiError } from "../helpers/assert.js";

/** Feature 0 of row r is r itself, so every subset row can be traced back to its origin. */
function traced(rows: number, positiveShare: number, seed = 1): Dataset {
  const rand = mulberry32(seed);
  const cols = 3;
  const features = new Float64Array(rows * cols);
  const labels = new Uint8Array(rows);
  for (let r = 0; r < rows; r++) {
    labels[r] = rand() < positiveShare ? 1 : 0;
    features[r * cols] = r;
    features[r * cols + 1] = rand();
    features[r * cols + 2] = labels[r]! * 2 - 1;
  }
  return { rows, cols, features, labels, classes: [0, 1] };
}

function origins(ds: Dataset): number[] {
  return Array.from({ length: ds.rows }, (_, i) => ds.features[i * ds.cols]!);
}

/** Checks each part against the source row by row, and that the parts cover every row exactly once. */
function expectExactCover(source: Dataset, parts: Dataset[]): void {
  const seen = new Uint8Array(source.rows);
  for (const part of parts) {
    const rows = origins(part);
    expect(rows).to.deep.equal([...rows].sort((a, b) => a - b)); // original order kept
    rows.forEach((r, i) => {
      seen[r]!++;
      expect(part.labels[i]).to.equal(source.labels[r]);
      expect(Array.from(part.features.subarray(i * part.cols, (i + 1) * part.cols))).to.deep.equal(
        Array.from(source.features.subarray(r * source.cols, (r + 1) * source.cols)),
      );
    });
  }
  expect(seen.every((count) => count === 1)).to.equal(true);
}

const positives = (ds: Dataset) => ds.labels.reduce((a, b) => a + b, 0);
const share = (ds: Dataset) => positives(ds) / ds.rows;
const bothClasses = (ds: Dataset) => positives(ds) > 0 && positives(ds) < ds.rows;

/**
 * Row-weighted mean |client's positive share − overall share|: 0 for perfectly iid label mixes.
 * Weighted by rows because at small alpha many clients hold just the 2 rows (one per class) the
 * partitioner guarantees; the skew that matters is where the data is.
 */
function labelSkew(source: Dataset, parts: Dataset[]): number {
  return parts.reduce((sum, p) => sum + p.rows * Math.abs(share(p) - share(source)), 0) / source.rows;
}

describe("fedavg/partition", () => {
  const ds = traced(2000, 0.4);

  it("iid: covers every row once, equal sizes, both classes and near-global label mix everywhere", () => {
    const parts = partitionDataset(ds, 7, { scheme: "iid", seed: 3 });
    expect(parts).to.have.length(7);
    expectExactCover(ds, parts);
    const sizes = parts.map((p) => p.rows);
    expect(Math.max(...sizes) - Math.min(...sizes)).to.be.at.most(1);
    for (const p of parts) {
      expect(bothClasses(p)).to.equal(true);
      expect(Math.abs(share(p) - share(ds))).to.be.lessThan(0.01);
    }
  });

  it("dirichlet: covers every row once; small alpha is skewed, large alpha near iid", () => {
    const skewed = partitionDataset(ds, 10, { scheme: "dirichlet", alpha: 0.05, seed: 5 });
    const mild = partitionDataset(ds, 10, { scheme: "dirichlet", alpha: 1000, seed: 5 });
    expectExactCover(ds, skewed);
    expectExactCover(ds, mild);
    expect(labelSkew(ds, skewed)).to.be.greaterThan(0.35);
    expect(labelSkew(ds, mild)).to.be.lessThan(0.03);
    for (const p of mild) expect(Math.abs(share(p) - share(ds))).to.be.lessThan(0.1);
  });

  it("is deterministic for a seed and changes with it", () => {
    for (const opts of [
      { scheme: "iid", seed: 11 },
      { scheme: "dirichlet", alpha: 0.3, seed: 11 },
    ] as const) {
      const a = partitionDataset(ds, 5, opts).map(origins);
      expect(partitionDataset(ds, 5, opts).map(origins)).to.deep.equal(a);
      expect(partitionDataset(ds, 5, { ...opts, seed: 12 }).map(origins)).to.not.deep.equal(a);
    }
  });

  it("gives every client ≥ 2 rows and both classes even at tiny alpha with many clients", () => {
    for (let seed = 0; seed < 20; seed++) {
      const parts = partitionDataset(ds, 40, { scheme: "dirichlet", alpha: 0.01, seed });
      expectExactCover(ds, parts);
      for (const p of parts) {
        expect(p.rows).to.be.at.least(2);
        expect(bothClasses(p)).to.equal(true);
      }
    }
  });

  it("gives ≥ 2 rows each when a class is too rare for every client to get both", () => {
    const rare = traced(60, 0.05, 2); // a handful of positives for 30 clients
    expect(positives(rare)).to.be.within(1, 29);
    for (const scheme of ["iid", "dirichlet"] as const) {
      const parts = partitionDataset(rare, 30, { scheme, seed: 1 });
      expectExactCover(rare, parts);
      for (const p of parts) expect(p.rows).to.be.at.least(2);
    }
  });

  it("holdoutSplit is stratified, exact and deterministic", () => {
    const { train, test } = holdoutSplit(ds, 0.25, 9);
    expectExactCover(ds, [train, test]);
    expect(test.rows).to.be.closeTo(500, 1);
    expect(Math.abs(share(test) - share(ds))).to.be.lessThan(0.002);
    expect(origins(holdoutSplit(ds, 0.25, 9).test)).to.deep.equal(origins(test));
    // Tiny data: still one row of each class on each side.
    const tiny = traced(4, 0.5, 4);
    const split = holdoutSplit({ ...tiny, labels: Uint8Array.from([0, 1, 0, 1]) }, 0.01, 1);
    expect(bothClasses(split.train) && bothClasses(split.test)).to.equal(true);
  });

  describe("more than two classes", () => {
    /** Four classes with shares 10/20/30/40%; feature 0 traces the row as above. */
    function fourClasses(rows: number, seed = 1): Dataset {
      const base = traced(rows, 0, seed);
      const rand = mulberry32(seed + 100);
      const labels = Uint8Array.from({ length: rows }, () => {
        const u = rand();
        return u < 0.1 ? 0 : u < 0.3 ? 1 : u < 0.6 ? 2 : 3;
      });
      return { ...base, labels, classes: ["water", "forest", "cropland", "urban"] };
    }
    const classesOf = (p: Dataset) => new Set(p.labels).size;
    const four = fourClasses(2000);

    it("iid: every client gets every class in the global proportions, sizes within 1", () => {
      const parts = partitionDataset(four, 6, { scheme: "iid", seed: 2 });
      expectExactCover(four, parts);
      const sizes = parts.map((p) => p.rows);
      expect(Math.max(...sizes) - Math.min(...sizes)).to.be.at.most(1);
      for (const p of parts) {
        expect(p.classes).to.deep.equal(four.classes);
        for (let k = 0; k < 4; k++) {
          const want = four.labels.filter((l) => l === k).length / four.rows;
          expect(p.labels.filter((l) => l === k).length / p.rows).to.be.closeTo(want, 0.01);
        }
      }
    });

    it("dirichlet with allowOneClass: small alpha leaves clients holding a single class", () => {
      const parts = partitionDataset(four, 10, { scheme: "dirichlet", alpha: 0.1, seed: 3, allowOneClass: true });
      expectExactCover(four, parts);
      expect(parts.filter((p) => classesOf(p) === 1).length).to.be.at.least(3);
      for (const p of parts) expect(p.rows).to.be.at.least(2);
    });

    it("dirichlet by default still gives every client every class when each class can cover them", () => {
      const parts = partitionDataset(four, 10, { scheme: "dirichlet", alpha: 0.1, seed: 3 });
      expectExactCover(four, parts);
      for (const p of parts) expect(classesOf(p)).to.equal(4);
    });

    it("holdoutSplit keeps every class on both sides", () => {
      const { train, test } = holdoutSplit(four, 0.2, 4);
      expectExactCover(four, [train, test]);
      expect(classesOf(train)).to.equal(4);
      expect(classesOf(test)).to.equal(4);
    });
  });

  it("explains impossible requests", async () => {
    await expectFlaiError(() => partitionDataset(ds, 1001, { scheme: "iid", seed: 1 }), "2000 rows", "1001 clients", "at most 1000");
    await expectFlaiError(() => partitionDataset(ds, 0, { scheme: "iid", seed: 1 }), "client count");
    await expectFlaiError(() => partitionDataset(ds, 3, { scheme: "dirichlet", alpha: 0, seed: 1 }), "alpha", "> 0");
    await expectFlaiError(() => partitionDataset(ds, 3, { scheme: "iid", alpha: 1, seed: 1 }), "alpha", "dirichlet");
    await expectFlaiError(() => partitionDataset(ds, 3, { scheme: "shards" as "iid", seed: 1 }), '"shards"');
    await expectFlaiError(() => holdoutSplit(ds, 1, 1), "(0, 1)");
    const two = { rows: 2, cols: 1, features: Float64Array.from([0, 1]), labels: Uint8Array.from([0, 1]), classes: [0, 1] };
    await expectFlaiError(() => holdoutSplit(two, 0.5, 1), "too few");
  });
});
