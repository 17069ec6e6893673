import { expect } from "chai";

import type { Dataset } from "../../src/ml/dataset.js";
import { trainingRows } from "../../src/ml/logistic.js";
import {
  MIN_WIDE_PARTITIONS,
  PARTITION_MIN_ENTRIES,
  PARTITION_SUMS_BYTES,
  PARTITIONS,
  partitionCount,
  RowSums,
  sharedCopy,
} from "../../src/ml/logistic-parallel.js";
import { mulberry32 } from "../../src/util/prng.js";

// Wide data (issue 14: a client at 1e6 features): each row partition keeps its own (cols + 2) sums,
// so the partition count is capped by their bytes — as a function of the data's shape only, so the
// bits never depend on the thread count.

const bits = (a: Float64Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

describe("ml/logistic-parallel: partitions of wide data", () => {
  it("is a function of the shape: 8 partitions while their sums fit, fewer (never below 2) for wider rows", () => {
    expect(partitionCount(41_000, 50)).to.equal(PARTITIONS);
    expect(partitionCount(200, 100_000)).to.equal(PARTITIONS); // 8 × 100,002 × 8 B = 6.1 MiB
    expect(partitionCount(8, 300_000)).to.equal(6); // ⌊16 MiB / (300,002 × 8 B)⌋
    expect(partitionCount(24, 1_000_000)).to.equal(MIN_WIDE_PARTITIONS); // was 8: 64 MB of sums
    expect(partitionCount(24, 50_000_000)).to.equal(MIN_WIDE_PARTITIONS);
    expect(partitionCount(24, 10)).to.equal(1); // small data: one plain pass
    expect(partitionCount(7, 1_000_000)).to.equal(1); // fewer rows than PARTITIONS: as before
    for (const [rows, cols] of [
      [8, 300_000],
      [24, 1_000_000],
      [1000, 70_000],
      [3, 5_000_000],
    ] as const) {
      const p = partitionCount(rows, cols);
      if (p > MIN_WIDE_PARTITIONS) expect(p * (cols + 2) * 8).to.be.at.most(PARTITION_SUMS_BYTES);
      expect(rows * cols > PARTITION_MIN_ENTRIES && rows >= PARTITIONS ? p >= MIN_WIDE_PARTITIONS : p === 1).to.equal(true);
    }
  });

  it("wide data: the same sums bit for bit with 1 and 2 threads (a worker computing a partition)", function () {
    this.timeout(120_000);
    const rows = 8;
    const cols = 300_000;
    const rand = mulberry32(5);
    const x = sharedCopy(Float64Array.from({ length: rows * cols }, () => 4 * rand() - 2));
    const y = sharedCopy(Uint8Array.from({ length: rows }, (_, i) => i % 2));
    const center = Float64Array.from({ length: cols }, (_, j) => 0.1 * Math.sin(j));
    const params = Float64Array.from({ length: cols + 1 }, (_, j) => 1e-3 * Math.cos(j));
    const partitions = partitionCount(rows, cols);
    expect(partitions).to.equal(6);

    const alone = new RowSums(x, y, rows, cols, partitions, 1, 1, center);
    const want = Float64Array.from(alone.sums(params));
    alone.close();

    const threaded = new RowSums(x, y, rows, cols, partitions, 2, 1, center);
    try {
      expect(threaded.threaded).to.equal(true);
      // A worker that is still booting claims nothing: nudge the params until one has computed a partition.
      const nudged = Float64Array.from(params, (v, j) => (j === cols ? v + 0.01 : v));
      const deadline = Date.now() + 30_000;
      let got = threaded.sums(params);
      while (threaded.workerPartitions === 0) {
        expect(Date.now(), "a worker took part in a pass").to.be.below(deadline);
        threaded.sums(nudged);
        got = threaded.sums(params);
      }
      expect(bits(got).equals(bits(want))).to.equal(true);
    } finally {
      threaded.close();
    }
  });

  it("trainingRows picks the same partitions for 1 and 2 threads", () => {
    const rows = 8;
    const cols = 300_000;
    const ds: Dataset = {
      features: new Float64Array(rows * cols),
      labels: Uint8Array.from({ length: rows }, (_, i) => i % 2),
      rows,
      cols,
      classes: [0, 1],
    };
    for (const threads of [1, 2]) {
      const prepared = trainingRows(ds, { threads, standardize: false });
      try {
        expect(prepared.rowSums.partitions).to.equal(partitionCount(rows, cols));
      } finally {
        prepared.close();
      }
    }
  });
});
