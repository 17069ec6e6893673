// A local .npz file read in place (src/ml/npz-file.ts via src/inputs.ts readLocalFile, issue 14):
// a stored float64 X is parsed as a view of the file's bytes, 8-byte aligned, in shared memory, and
// gives the very Dataset (and model) that parsing a copy of the same bytes gives. Refusals through
// this path are in test/ml/npz-dataset.test.ts (every one runs both ways).
import { readdirSync, readFileSync } from "node:fs";
import { readdir } from "node:fs/promises";
import path from "node:path";

import { expect } from "chai";

import { npyParts, npzParts, storedZipParts } from "../../bench/_npz.js";
import { readLocalFile } from "../../src/inputs.js";
import { parseDataset, type Dataset } from "../../src/ml/dataset.js";
import { isShared } from "../../src/ml/logistic-parallel.js";
import { trainLogisticRegression } from "../../src/ml/logistic.js";
import { modelBytes, parseModelSpec, parseTrainingData, trainFromSpec } from "../../src/ml/model.js";
import { gaussian, mulberry32 } from "../../src/util/prng.js";

import { expectFlaiError } from "../helpers/assert.js";
import { localFiles, type LocalFiles } from "../helpers/local-file.js";
import { FIXTURES } from "../helpers/project.js";

const NPZ = path.resolve(import.meta.dirname, "..", "reference", "npz");
const npz = (name: string): Buffer => readFileSync(path.join(NPZ, name));
const bytesOf = (a: ArrayBufferView) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

function expectSameDataset(actual: Dataset, expected: Dataset): void {
  expect({ rows: actual.rows, cols: actual.cols, classes: actual.classes }).to.deep.equal({
    rows: expected.rows,
    cols: expected.cols,
    classes: expected.classes,
  });
  expect(bytesOf(actual.features).equals(bytesOf(expected.features)), "feature bytes").to.equal(true);
  expect(bytesOf(actual.labels).equals(bytesOf(expected.labels)), "label bytes").to.equal(true);
}

/** Whether `features` is a view into `bytes`' memory (read in place) rather than a copy. */
const viewsInto = (features: Float64Array, bytes: Uint8Array) => features.buffer === bytes.buffer;

/** A dataset of `rows` × `cols` normal values (2 decimals) and 0/1 labels, from `seed`. */
function randomDataset(rows: number, cols: number, seed: number): Dataset {
  const normal = gaussian(mulberry32(seed));
  const features = new Float64Array(rows * cols);
  for (let k = 0; k < features.length; k++) features[k] = Math.round(normal() * 100) / 100;
  const labels = new Uint8Array(rows);
  for (let r = 0; r < rows; r++) labels[r] = features[r * cols]! + features[r * cols + 1]! > 0 ? 1 : 0;
  labels[0] = 0;
  labels[1] = 1;
  return { rows, cols, features, labels, classes: [0, 1] };
}

/** np.savez's layout of `ds`, after a first member of `padding` bytes (it moves X by that much). */
function npzWithLeadingMember(ds: Dataset, padding: number): Buffer[] {
  const labels = new BigInt64Array(Array.from(ds.labels, (l) => BigInt(l)));
  return storedZipParts([
    { name: "notes.txt", parts: [Buffer.alloc(padding, 0x2e)] },
    { name: "X.npy", parts: npyParts("<f8", [ds.rows, ds.cols], bytesOf(ds.features)) },
    { name: "y.npy", parts: npyParts("<i8", [ds.rows], new Uint8Array(labels.buffer)) },
  ]);
}

/** Where X's values start in an .npz laid out by npzWithLeadingMember (from its bytes). */
function valuesOffsetInFile(bytes: Buffer): number {
  const header = bytes.indexOf(Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]));
  return header + 10 + bytes.readUInt16LE(header + 8);
}

const openFileDescriptors = () => readdir("/proc/self/fd").then((fds) => fds.length);

describe("ml/npz-file: a local .npz read in place", () => {
  let files: LocalFiles;

  before(async () => {
    files = await localFiles();
  });

  after(() => files.remove());

  it("every fixture: the same Dataset, or the same refusal, as parsing a copy of its bytes", async () => {
    const names = readdirSync(NPZ).filter((n) => n.endsWith(".npz") || n.endsWith(".npy"));
    expect(names.length).to.be.greaterThan(20);
    for (const name of names) {
      const given = npz(name);
      let expected: Dataset | Error;
      try {
        expected = parseDataset(given, name);
      } catch (error) {
        expected = error as Error;
      }
      if (expected instanceof Error) {
        const error = await expectFlaiError(async () => parseDataset(await files.read(given, name), name));
        expect(error.message, name).to.equal(expected.message);
      } else {
        expectSameDataset(parseDataset(await files.read(given, name), name), expected);
      }
    }
  });

  it("X lands 8-byte aligned wherever it sits in the file, and is viewed there, in shared memory", async () => {
    const ds = randomDataset(5, 7, 1);
    const misalignments = new Set<number>();
    for (let padding = 0; padding < 8; padding++) {
      const parts = npzWithLeadingMember(ds, padding);
      misalignments.add(valuesOffsetInFile(Buffer.concat(parts)) % 8);
      const bytes = await files.read(Buffer.concat(parts));
      expect(bytes.buffer, "shared memory").to.be.instanceOf(SharedArrayBuffer);
      expect(bytesOf(bytes).equals(Buffer.concat(parts)), "the file's bytes").to.equal(true);
      const parsed = parseDataset(bytes, "data.npz");
      expectSameDataset(parsed, ds);
      expect(viewsInto(parsed.features, bytes), `X viewed in place (padding ${padding})`).to.equal(true);
      expect(parsed.features.byteOffset % 8).to.equal(0);
      expect(isShared(parsed.features), "the training's worker threads read it without a copy").to.equal(true);
    }
    expect(misalignments.size, "every offset of X modulo 8 was tried").to.equal(8);
  });

  it("the copying path is unchanged: bytes not read in place are copied out of, never kept", () => {
    const given = npz("data.npz");
    const parsed = parseDataset(given, "data.npz");
    expect(viewsInto(parsed.features, given)).to.equal(false);
    given.fill(0); // the caller's bytes are the caller's: the Dataset does not change with them
    expectSameDataset(parsed, parseDataset(npz("data.npz"), "data.npz"));
  });

  it("falls back to a copy for deflated X, other dtypes and Fortran order (same Dataset)", async () => {
    for (const name of ["data-compressed.npz", "f4-i4.npz", "int-features.npz", "fortran.npz"]) {
      const bytes = await files.read(npz(name), name);
      const parsed = parseDataset(bytes, name);
      expect(viewsInto(parsed.features, bytes), name).to.equal(false);
      expectSameDataset(parsed, parseDataset(npz(name), name));
    }
  });

  it("JSON and CSV files are read once into memory of their own, byte for byte", async () => {
    for (const name of ["data.json", "data.csv"]) {
      const given = readFileSync(path.join(FIXTURES, name));
      const bytes = await readLocalFile(path.join(FIXTURES, name), "--data");
      expect(bytes.buffer, name).to.be.instanceOf(ArrayBuffer);
      expect({ offset: bytes.byteOffset, length: bytes.buffer.byteLength }).to.deep.equal({ offset: 0, length: given.length });
      expect(bytesOf(bytes).equals(given), name).to.equal(true);
    }
  });

  it("a compute job trains identical model bytes from the file read in place and from a copy", async () => {
    const spec = parseModelSpec(readFileSync(path.join(FIXTURES, "model.json")), "model.json");
    const roots = { datasetRoot: "0x" + "11".repeat(32), modelRoot: "0x" + "22".repeat(32) };
    const train = (bytes: Uint8Array) => modelBytes(trainFromSpec(spec, parseTrainingData(bytes, spec, "data.npz"), roots, "data.npz"));
    const inPlace = await readLocalFile(path.join(NPZ, "data.npz"), "--data");
    expect(Buffer.from(train(inPlace)).equals(Buffer.from(train(npz("data.npz"))))).to.equal(true);
  });

  it("training on worker threads over the shared X gives the copy's weights bit for bit", async function () {
    this.timeout(60_000);
    // 16 × 130,000 values: above the partitioning threshold, so worker threads read the rows.
    const ds = randomDataset(16, 130_000, 2);
    const file = await files.write(npzParts(ds));
    const inPlace = parseDataset(await readLocalFile(file, "--data"), "big.npz");
    const copied = parseDataset(readFileSync(file), "big.npz");
    expect(isShared(inPlace.features)).to.equal(true);
    expect(isShared(copied.features)).to.equal(false);
    const opts = { threads: 2, maxIterations: 15 };
    const a = trainLogisticRegression(inPlace, opts);
    const b = trainLogisticRegression(copied, opts);
    expect(bytesOf(a.weights).equals(bytesOf(b.weights)), "weights").to.equal(true);
    expect(bytesOf(a.bias).equals(bytesOf(b.bias)), "bias").to.equal(true);
  });

  it("leaves nothing behind: every file is closed, read or not; each read has its own memory", async () => {
    const before = await openFileDescriptors();
    const file = await files.write(npz("data.npz"));
    const first = await readLocalFile(file, "--data");
    const second = await readLocalFile(file, "--data");
    expect(first.buffer).to.not.equal(second.buffer);
    await expectFlaiError(
      () => readLocalFile(path.join(NPZ, "missing.npz"), "--data"),
      "--data",
      "missing.npz",
      "ENOENT",
      "Check the path",
    );
    await expectFlaiError(() => readLocalFile(NPZ, "--data"), "--data", "is a directory");
    expect(await openFileDescriptors()).to.equal(before);
  });
});
