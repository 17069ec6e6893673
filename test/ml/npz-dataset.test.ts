// NumPy .npz datasets (issue 14). The fixtures under test/reference/npz/ were written by numpy
// (test/reference/npz.py); CI has no numpy, so this file only reads them, and builds the broken
// files it needs by editing their bytes.
import { readFileSync } from "node:fs";
import path from "node:path";

import { expect } from "chai";
import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import type { FlaiConnection } from "../../src/chain/connection.js";
import { loadSimulationData } from "../../src/federated/simulation-data.js";
import { parseDataset, type Dataset } from "../../src/ml/dataset.js";
import { modelBytes, parseModelSpec, parseTrainingData, trainFromSpec } from "../../src/ml/model.js";
import { readNpy } from "../../src/ml/npy-array.js";

import { expectFlaiError } from "../helpers/assert.js";
import { localFiles, type LocalFiles } from "../helpers/local-file.js";
import { FIXTURES, jobsProject } from "../helpers/project.js";

const NPZ = path.resolve(import.meta.dirname, "..", "reference", "npz");
const npz = (name: string): Buffer => readFileSync(path.join(NPZ, name));
const reference = JSON.parse(readFileSync(path.join(NPZ, "reference.json"), "utf8")) as {
  rows12: { features: number[][]; labels: number[] };
  f4: number[][];
};
const json = parseDataset(readFileSync(path.join(FIXTURES, "data.json")), "data.json");

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

/** The first 12 rows as JSON text parsed by the JSON parser, with `labels` replacing the reference labels. */
function jsonRows12(features = reference.rows12.features, labels: unknown[] = reference.rows12.labels): Dataset {
  return parseDataset(Buffer.from(JSON.stringify({ features, labels })), "rows12.json");
}

/** Offset of the first occurrence of `text` (latin1) in `bytes`. */
function offsetOf(bytes: Buffer, text: string): number {
  const at = bytes.indexOf(Buffer.from(text, "latin1"));
  expect(at, `${text} in the fixture`).to.be.greaterThan(-1);
  return at;
}

/** Offset of the zip central-directory entry for `name`. */
function centralEntry(bytes: Buffer, name: string): number {
  for (let at = bytes.length - 22; at >= 0; at--) {
    if (bytes.readUInt32LE(at) === 0x02014b50 && bytes.toString("latin1", at + 46, at + 46 + name.length) === name) return at;
  }
  throw new Error(`no central entry for ${name}`);
}

let files: LocalFiles;

/**
 * parseDataset refuses `args` naming every fragment, both given the bytes and given them as a local
 * file reads them (readLocalFile: an .npz read in place), with the same message.
 */
async function expectRefused(args: Parameters<typeof parseDataset>, ...fragments: string[]): Promise<void> {
  const given = await expectFlaiError(() => parseDataset(...args), ...fragments);
  const [bytes, ...rest] = args;
  const read = await expectFlaiError(async () => parseDataset(await files.read(bytes), ...rest), ...fragments);
  expect(read.message).to.equal(given.message);
}

describe("ml/npz-dataset: NumPy .npz datasets", () => {
  before(async () => {
    files = await localFiles();
  });

  after(() => files.remove());

  describe("the same Dataset as JSON", () => {
    it("np.savez (stored) float64 X, int64 y: the JSON fixture's exact bytes", () => {
      expectSameDataset(parseDataset(npz("data.npz"), "data.npz"), json);
    });

    it("np.savez_compressed (deflated): the same bytes", () => {
      expectSameDataset(parseDataset(npz("data-compressed.npz"), "data-compressed.npz"), json);
    });

    it("is detected from the bytes, whatever the source is called", () => {
      expectSameDataset(parseDataset(npz("data.npz"), "evaluation set 0xabc"), json);
    });

    it("a compute job trains identical model bytes from .npz and from JSON", () => {
      const spec = parseModelSpec(readFileSync(path.join(FIXTURES, "model.json")), "model.json");
      const roots = { datasetRoot: "0x" + "11".repeat(32), modelRoot: "0x" + "22".repeat(32) };
      const train = (bytes: Uint8Array, source: string) =>
        modelBytes(trainFromSpec(spec, parseTrainingData(bytes, spec, source), roots, source));
      const fromJson = train(readFileSync(path.join(FIXTURES, "data.json")), "data.json");
      expect(Buffer.from(train(npz("data.npz"), "data.npz")).equals(Buffer.from(fromJson))).to.equal(true);
      expect(Buffer.from(train(npz("data-compressed.npz"), "data-compressed.npz")).equals(Buffer.from(fromJson))).to.equal(true);
    });
  });

  describe("dtypes numpy users get", () => {
    const rows12 = () => jsonRows12();

    it("uint8 labels; int16 labels with int64 features", () => {
      expectSameDataset(parseDataset(npz("u1.npz"), "u1.npz"), rows12());
      const ints = reference.rows12.features.map((row) => row.map((v) => Math.round(v * 100)));
      expectSameDataset(parseDataset(npz("int-features.npz"), "int-features.npz"), jsonRows12(ints));
    });

    it("float32 features (their float64 values) with int32 labels", () => {
      expectSameDataset(parseDataset(npz("f4-i4.npz"), "f4-i4.npz"), jsonRows12(reference.f4));
    });

    it("float64 labels holding integers read as those integers", () => {
      expectSameDataset(parseDataset(npz("float-labels.npz"), "float-labels.npz"), rows12());
    });

    it("unicode string labels, stored and compressed (non-ASCII names)", () => {
      const names = reference.rows12.labels.map((l) => (l === 1 ? "forest" : "water"));
      const ds = parseDataset(npz("strings.npz"), "strings.npz");
      expect(ds.classes).to.deep.equal(["forest", "water"]);
      expectSameDataset(ds, jsonRows12(undefined, names));
      const accented = parseDataset(npz("strings-compressed.npz"), "strings-compressed.npz");
      expectSameDataset(
        accented,
        jsonRows12(
          reference.f4,
          reference.rows12.labels.map((l) => (l === 1 ? "forêt" : "eau")),
        ),
      );
    });

    it("class names beyond the Basic Multilingual Plane keep their code points", () => {
      const ds = parseDataset(npz("astral.npz"), "astral.npz");
      expect(ds.classes).to.deep.equal(["\u{1F30A}", "\u{1F332}"]);
      expectSameDataset(
        ds,
        jsonRows12(
          undefined,
          reference.rows12.labels.map((l) => (l === 1 ? "\u{1F332}" : "\u{1F30A}")),
        ),
      );
    });

    it("bool features and labels read as 0/1", () => {
      const features = reference.rows12.features.map((row) => row.map((v) => (v > 0 ? 1 : 0)));
      expectSameDataset(parseDataset(npz("bool.npz"), "bool.npz"), jsonRows12(features));
    });

    it("Fortran-order X is read in row order", () => {
      expectSameDataset(parseDataset(npz("fortran.npz"), "fortran.npz"), rows12());
    });

    it("three classes; the spec's classes index them", () => {
      const labels = reference.rows12.labels.map((_, r) => r % 3);
      expectSameDataset(parseDataset(npz("multiclass.npz"), "multiclass.npz"), jsonRows12(undefined, labels));
      const ds = parseDataset(npz("multiclass.npz"), "multiclass.npz", { classes: [2, 1, 0] });
      expect(Array.from(ds.labels.slice(0, 3))).to.deep.equal([2, 1, 0]);
    });

    it('the spec\'s "label" names another labels array', async () => {
      const renamed = Buffer.from(npz("u1.npz"));
      // Rename y.npy to t.npy in both the local and the central header (same length: offsets hold).
      for (let at = renamed.indexOf("y.npy"); at !== -1; at = renamed.indexOf("y.npy", at + 1)) renamed.write("t", at, "latin1");
      expectSameDataset(parseDataset(renamed, "t.npz", { label: "t" }), rows12());
      await expectFlaiError(() => parseDataset(renamed, "t.npz"), 'no array "y"', '"X", "t"', 'model spec\'s "label"');
    });
  });

  describe("refusals", () => {
    it("an object array (a pickle) is never unpickled", async () => {
      await expectRefused([npz("pickle.npz"), "pickle.npz"], "pickle.npz", '"y"', "object array", "|O", "pickle", "y.astype(str)");
    });

    it("a label that is not an integer, or not among the spec's classes, names its first row", async () => {
      await expectRefused([npz("fractional-label.npz"), "f.npz"], "f.npz: y[5] (row 5)", "2.5", "integer");
      const firstOne = reference.rows12.labels.indexOf(1);
      await expectRefused([npz("u1.npz"), "u1.npz", { classes: [0, 2] }], `y[${firstOne}] (row ${firstOne})`, "label 1", "[0,2]");
    });

    it("NaN features, by row and column", async () => {
      await expectRefused([npz("nan.npz"), "nan.npz"], "row 3, column 2", "X[3, 2]", "NaN", "finite");
    });

    it("a missing X or y names the arrays found", async () => {
      await expectRefused([npz("no-y.npz"), "no-y.npz"], 'no array "y"', 'its arrays are "X"', "np.savez(path, X=features, y=labels)");
      await expectRefused([npz("other-names.npz"), "o.npz"], 'no array "X"', '"data", "target"');
    });

    it("unsupported dtypes name the array, the dtype and the cast", async () => {
      await expectRefused([npz("complex.npz"), "c.npz"], 'array "X"', "<c16", "X.astype(np.float64)");
      await expectRefused([npz("big-endian.npz"), "b.npz"], 'array "X"', ">f8", "big-endian", "X.astype(np.float64)");
    });

    it("shapes: 3-D X, a column-vector y, fewer labels than rows", async () => {
      await expectRefused([npz("three-d.npz"), "t.npz"], "(12, 2, 4)", "2-D", "reshape");
      await expectRefused([npz("y-column.npz"), "t.npz"], "(12, 1)", "(12,)", "y.ravel()");
      await expectRefused([npz("short-y.npz"), "t.npz"], "(11,)", "(12,)");
    });

    it("a single .npy: no labels, and no column is taken by position", async () => {
      await expectRefused([npz("X.npy"), "X.npy"], "single NumPy .npy", "np.savez(path, X=features, y=labels)");
    });

    it("bzip2 entries, encrypted entries, zip64 directories", async () => {
      await expectRefused([npz("bzip2.npz"), "z.npz"], "X.npy", "bzip2", "not supported");
      const encrypted = Buffer.from(npz("data.npz"));
      const entry = centralEntry(encrypted, "X.npy");
      encrypted.writeUInt16LE(encrypted.readUInt16LE(entry + 8) | 1, entry + 8);
      await expectRefused([encrypted, "e.npz"], "X.npy", "encrypted");
      const zip64 = Buffer.from(npz("data.npz"));
      zip64.writeUInt32LE(0xffffffff, zip64.length - 22 + 16); // the directory offset lives in a zip64 record
      await expectRefused([zip64, "z.npz"], "zip64", "not supported");
    });

    it("a truncated file, at any length", async () => {
      for (const whole of [npz("data-compressed.npz"), npz("data.npz")]) {
        for (const length of [4, 100, whole.length >> 1, whole.length - 30, whole.length - 1]) {
          await expectRefused([whole.subarray(0, length), "cut.npz"], "cut.npz", "truncated");
        }
      }
    });

    it("a zip header that lies about sizes or offsets reads nothing out of bounds", async () => {
      const stored = npz("data.npz");
      const entry = centralEntry(stored, "X.npy");
      const huge = Buffer.from(stored);
      huge.writeUInt32LE(0x7fffffff, entry + 20);
      huge.writeUInt32LE(0x7fffffff, entry + 24);
      await expectRefused([huge, "h.npz"], "X.npy", "past the end");
      const deflated = Buffer.from(npz("data-compressed.npz"));
      const bomb = centralEntry(deflated, "X.npy");
      deflated.writeUInt32LE(0xfffffff0, bomb + 24); // 4 GiB claimed from 15 KB: refused before inflating
      await expectRefused([deflated, "b.npz"], "X.npy", "more than deflate can produce");
      const offset = Buffer.from(stored);
      offset.writeUInt32LE(stored.length - 10, entry + 42);
      await expectRefused([offset, "o.npz"], "X.npy", "no local header");
    });

    it("altered bytes fail the CRC-32 check", async () => {
      const altered = Buffer.from(npz("data.npz"));
      altered[offsetOf(altered, "}") + 200]! ^= 1;
      await expectRefused([altered, "a.npz"], "X.npy", "CRC-32");
    });

    it("an .npy header whose shape lies allocates nothing and says so", async () => {
      const array = Buffer.from(npz("X.npy"));
      const header = offsetOf(array, "(12, 8)");
      array.write("(99, 8)", header, "latin1");
      await expectFlaiError(() => readNpy(array, "X", "X.npy"), "shape (99, 8)", "6336 bytes", "768 bytes follow");
      array.write("(12, 8]", header, "latin1"); // a malformed literal: refused, never evaluated
      await expectFlaiError(() => readNpy(array, "X", "X.npy"), "X.npy", "header", 'missing "," or ")"');
      const giant = Buffer.from(npz("X.npy"));
      const text = "{'descr': '<f8', 'fortran_order': False, 'shape': (4000000000000, 4000000000000), }";
      giant.writeUInt16LE(text.length, 8);
      const crafted = Buffer.concat([giant.subarray(0, 10), Buffer.from(text, "latin1"), giant.subarray(giant.length - 768)]);
      await expectFlaiError(() => readNpy(crafted, "X", "X.npy"), "(4000000000000, 4000000000000)", "768 bytes follow");
      const deep = Buffer.concat([giant.subarray(0, 8), Buffer.from([0x10, 0x27]), Buffer.from("(".repeat(10_000), "latin1")]);
      await expectFlaiError(() => readNpy(deep, "X", "X.npy"), "X.npy", "nests too deeply");
    });

    it("CSV-only spec keys are refused for .npz data", async () => {
      await expectRefused([npz("u1.npz"), "u1.npz", { ignore: ["id"] }], "u1.npz", "NumPy .npz", '"ignore"', "CSV");
    });
  });

  it("fl-run's data loader (a federated run's --data and --test) reads .npz files", async () => {
    const data = await loadSimulationData({ data: path.join(NPZ, "data.npz"), test: path.join(NPZ, "data-compressed.npz"), seed: 1 });
    expectSameDataset(data.train, json);
    expectSameDataset(data.test, json);
  });

  describe("a compute job with .npz data, end to end on the in-process chain", function () {
    this.timeout(120_000);
    let hre: HardhatRuntimeEnvironment;
    let connection: FlaiConnection;

    before(async () => {
      ({ hre, connection } = await jobsProject());
    });

    it("submits the .npz, trains it in the enclave: the same weights as the JSON file's job", async () => {
      const model = path.join(FIXTURES, "model.json");
      const run = async (data: string) => {
        const submitted = await hre.flai.jobs.submit({ data, model, reward: "0.01", public: true, connection });
        return (await hre.flai.jobs.train(submitted.job.id, { connection })).model!;
      };
      const fromNpz = await run(path.join(NPZ, "data-compressed.npz"));
      const fromJson = await run(path.join(FIXTURES, "data.json"));
      const { datasetRoot: _a, ...npzRest } = fromNpz;
      const { datasetRoot: _b, ...jsonRest } = fromJson;
      expect(npzRest).to.deep.equal(jsonRest);
    });
  });
});
