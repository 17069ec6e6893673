import { expect } from "chai";

import { parseDataset } from "../../src/ml/dataset.js";
import { modelBytes, parseModelSpec, parseTrainedModel, parseTrainingData, trainFromSpec } from "../../src/ml/model.js";
import { checkSchema, schemaOptions } from "../../src/ml/schema.js";

import { expectFlaiError } from "../helpers/assert.js";

const utf8 = (text: string) => new TextEncoder().encode(text);
const roots = { datasetRoot: "0x" + "11".repeat(32), modelRoot: "0x" + "22".repeat(32) };
const spec = (extra: object, features = 2) =>
  parseModelSpec(utf8(JSON.stringify({ format: "flai-model/v1", algorithm: "logistic-regression", features, ...extra })), "model.json");

/** `rows` rows: id (1..rows, shuffled), a, b, city (text), label (0/1). */
function table(rows: number, cell?: (r: number, column: string) => string | undefined): string {
  const lines = ["id,a,b,city,label"];
  for (let r = 0; r < rows; r++) {
    const values: Record<string, string> = {
      id: String(((r * 7) % rows) + 1),
      a: String((r % 5) * 0.5),
      b: String(Math.round(Math.sin(r) * 100) / 10),
      city: ["Paris", "Lyon", "Nice"][r % 3]!,
      label: String(r % 2),
    };
    lines.push(["id", "a", "b", "city", "label"].map((c) => cell?.(r, c) ?? values[c]).join(","));
  }
  return lines.join("\n") + "\n";
}

describe("ml/schema (CSV data read by the model spec)", () => {
  it("an ID-like column is an error naming it, unless ignored", async () => {
    const bytes = utf8(table(12, (_, c) => (c === "city" ? "1" : undefined)).replace(/^id,a,b,city/, "id,a,b,c"));
    await expectFlaiError(() => parseDataset(bytes, "d.csv"), "d.csv", 'column "id"', "row ID", '"ignore": ["id"]');
    const ds = parseDataset(bytes, "d.csv", { ignore: ["id"] });
    expect(ds.columns).to.deep.equal(["a", "b", "c"]);
  });

  it("a column of distinct integers that is not a run 1..n and not named like an ID is a feature", () => {
    const ds = parseDataset(
      utf8("elevation,label\n" + Array.from({ length: 12 }, (_, r) => `${100 + r * r},${r % 2}`).join("\n")),
      "d.csv",
    );
    expect(ds.columns).to.deep.equal(["elevation"]);
  });

  it("a non-numeric column is an error naming it, unless ignored", async () => {
    await expectFlaiError(() => parseDataset(utf8(table(12)), "d.csv", { ignore: ["id"] }), 'column 4 "city"', '"Paris"', '"ignore"');
    const ds = parseDataset(utf8(table(12)), "d.csv", { ignore: ["id", "city"] });
    expect(ds.columns).to.deep.equal(["a", "b"]);
    expect(ds.schema).to.deep.equal({ label: "label", columns: ["a", "b"], ignore: ["id", "city"], impute: null });
  });

  it("an unknown or label column in ignore is refused by name", async () => {
    await expectFlaiError(() => parseDataset(utf8(table(3)), "d.csv", { ignore: ["zip"] }), '"zip"', '"id", "a", "b", "city", "label"');
    await expectFlaiError(() => parseDataset(utf8(table(3)), "d.csv", { ignore: ["label"] }), '"label" is the label column');
    await expectFlaiError(() => parseDataset(utf8(table(3)), "d.csv", { label: "cls" }), 'no column "cls"', '"label"');
  });

  it("missing values (empty, NA, NaN) are errors naming row and column unless imputing", async () => {
    for (const missing of ["", "NA", "NaN", "nan"]) {
      const text = table(6, (r, c) => (r === 4 && c === "b" ? missing : undefined));
      await expectFlaiError(
        () => parseDataset(utf8(text), "d.csv", { ignore: ["id", "city"] }),
        "line 6 (data row 4)",
        'column 3 "b"',
        "missing value",
        '"impute": "mean"',
      );
    }
  });

  it("impute mean fills with the training data's column mean and records it; given values are reused", () => {
    const text = table(6, (r, c) => (c === "b" ? (r === 4 ? "NA" : String(r)) : undefined));
    const ds = parseDataset(utf8(text), "d.csv", { ignore: ["id", "city"], impute: "mean" });
    const mean = (0 + 1 + 2 + 3 + 5) / 5;
    expect(ds.features[4 * 2 + 1]).to.equal(mean);
    expect(ds.schema!.impute).to.deep.equal({ strategy: "mean", values: [(0 + 0.5 + 1 + 1.5 + 2 + 0) / 6, mean] });
    const again = parseDataset(utf8(text), "test.csv", schemaOptions(ds.schema!));
    expect(Array.from(again.features)).to.deep.equal(Array.from(ds.features));
    const other = parseDataset(utf8(table(6, (r, c) => (r === 0 && c === "b" ? "" : undefined))), "other.csv", schemaOptions(ds.schema!));
    expect(other.features[1]).to.equal(mean);
  });

  it("the spec's schema keys reach the trained model, which parses back; prediction reads the same columns", () => {
    const text = table(20, (r, c) => (r === 3 && c === "a" ? "" : undefined));
    const s = spec({ label: "label", ignore: ["id", "city"], impute: "mean" });
    const model = trainFromSpec(s, parseTrainingData(utf8(text), s, "d.csv"), roots, "d.csv");
    expect(model.schema?.columns).to.deep.equal(["a", "b"]);
    expect(model.schema?.ignore).to.deep.equal(["id", "city"]);
    expect(model.schema?.impute?.strategy).to.equal("mean");
    expect(model.classes, "0/1 data keeps the binary JSON form").to.equal(undefined);
    expect(parseTrainedModel(modelBytes(model), "m.json")).to.deep.equal(model);
  });

  it("a trained model handed back as the next spec (warm start) reads the data as before", () => {
    const text = table(20, (r, c) => (r === 3 && c === "a" ? "" : undefined));
    const s = spec({ ignore: ["id", "city"], impute: "mean" });
    const model = trainFromSpec(s, parseTrainingData(utf8(text), s, "d.csv"), roots, "d.csv");
    const next = parseModelSpec(modelBytes(model), "trained.json");
    expect(next).to.deep.include({ label: "label", ignore: ["id", "city"], impute: "mean" });
    const again = trainFromSpec(next, parseTrainingData(utf8(text), next, "d.csv"), roots, "d.csv");
    expect(again.training.iterations).to.be.at.most(1);
    expect(again.schema).to.deep.equal(model.schema);
  });

  it("data parsed without the spec's schema keys is refused by trainFromSpec", async () => {
    const s = spec({ ignore: ["id", "city"], impute: "mean" });
    const ds = parseDataset(utf8(table(20)), "d.csv", { ignore: ["id", "city"] });
    await expectFlaiError(() => trainFromSpec(s, ds, roots, "d.csv"), "d.csv", "parseTrainingData");
  });

  it("the spec reads classes, label, ignore and impute as given; 0/1 specs without them are unchanged", () => {
    const s = spec({ classes: ["b", "a", "c"], label: "kind", ignore: ["id"], impute: "mean" });
    expect(s).to.deep.include({ classes: ["b", "a", "c"], label: "kind", ignore: ["id"], impute: "mean" });
    expect(Object.keys(spec({}))).to.deep.equal(["format", "algorithm", "features", "hyperparameters"]);
  });

  it("JSON data refuses CSV-only keys; bad spec keys are named", async () => {
    const json = utf8('{"features": [[1, 2], [3, 4]], "labels": [0, 1]}');
    await expectFlaiError(() => parseTrainingData(json, spec({ label: "y" }), "d.json"), "d.json", "JSON dataset", '"label"');
    await expectFlaiError(() => spec({ impute: "median" }), '"impute"', '"mean"');
    await expectFlaiError(() => spec({ ignore: "id" }), '"ignore"', "list of column names");
    await expectFlaiError(() => spec({ ignore: ["id", "id"] }), '"id"', "twice");
    await expectFlaiError(() => spec({ label: "" }), '"label"');
  });

  describe("checkSchema", () => {
    const schema = { label: "label", columns: ["a", "b"], ignore: ["id"], impute: null };

    it("accepts the same columns, and JSON data of the right width", () => {
      checkSchema(schema, { cols: 2, columns: ["a", "b"] }, "client.csv");
      checkSchema(schema, { cols: 2 }, "client.json");
    });

    it("names missing, extra and reordered columns", async () => {
      await expectFlaiError(
        () => checkSchema(schema, { cols: 2, columns: ["a", "c"] }, "client.csv"),
        "client.csv",
        'lacks column(s) "b"',
        '"c"',
      );
      await expectFlaiError(() => checkSchema(schema, { cols: 2, columns: ["b", "a"] }, "client.csv"), "another order", 'feature 0 is "b"');
      await expectFlaiError(() => checkSchema(schema, { cols: 3 }, "client.json"), "3 feature(s)", "a, b");
    });
  });
});
