import { readFileSync } from "node:fs";

import { expect } from "chai";

import { parseDataset, validateFeatureCount } from "../../src/ml/dataset.js";

import { expectFlaiError } from "../helpers/assert.js";

const fixture = (name: string) => readFileSync(new URL(`../../fixtures/${name}`, import.meta.url));
const utf8 = (text: string) => new TextEncoder().encode(text);
const parse = (text: string, source = "data.json") => parseDataset(utf8(text), source);

describe("ml/dataset", () => {
  describe("valid input", () => {
    it("parses the JSON fixture", () => {
      const ds = parseDataset(fixture("data.json"), "data.json");
      expect(ds.rows).to.equal(400);
      expect(ds.cols).to.equal(8);
      expect(ds.features).to.be.instanceOf(Float64Array);
      expect(ds.features.length).to.equal(400 * 8);
      expect(ds.labels).to.be.instanceOf(Uint8Array);
      expect(new Set(ds.labels)).to.deep.equal(new Set([0, 1]));
    });

    it("parses the CSV fixture to exactly the same numbers", () => {
      const json = parseDataset(fixture("data.json"), "data.json");
      const csv = parseDataset(fixture("data.csv"), "data.csv");
      expect(csv.rows).to.equal(json.rows);
      expect(csv.cols).to.equal(json.cols);
      expect(Buffer.from(csv.features.buffer).equals(Buffer.from(json.features.buffer))).to.equal(true);
      expect(Buffer.from(csv.labels).equals(Buffer.from(json.labels))).to.equal(true);
    });

    it("detects JSON by its first non-space character, whatever the source name", () => {
      const ds = parse(' \n {"features": [[1, 2], [3, 4]], "labels": [0, 1]}', "upload.csv");
      expect(Array.from(ds.features)).to.deep.equal([1, 2, 3, 4]);
    });

    it("finds the label column by name (label, y, target; any case) in any position", () => {
      const byName = parse("a,label,b\n1,0,2\n3,1,4\n", "d.csv");
      expect(Array.from(byName.features)).to.deep.equal([1, 2, 3, 4]);
      expect(Array.from(byName.labels)).to.deep.equal([0, 1]);
      expect(Array.from(parse("y,a\n1,5\n0,6\n", "d.csv").labels)).to.deep.equal([1, 0]);
      expect(Array.from(parse("a,Target,b\n1,1,2\n3,0,4\n", "d.csv").labels)).to.deep.equal([1, 0]);
      expect(byName.columns).to.deep.equal(["a", "b"]);
      expect(byName.schema).to.deep.equal({ label: "label", columns: ["a", "b"], ignore: [], impute: null });
    });

    it("never guesses the label column: none or several of label/y/target is an error listing the header", async () => {
      await expectFlaiError(
        () => parse("f1,f2,cls\n1.5,-2e-3,1\n0,.5,0\n", "d.csv"),
        "d.csv",
        "no column is named label",
        '"f1", "f2", "cls"',
        '"label": "cls"',
      );
      await expectFlaiError(() => parse("x,label,y\n1,1,0\n2,0,1\n", "d.csv"), "several columns", '"label", "y"');
    });

    it("takes the label column the spec names", () => {
      const ds = parseDataset(utf8("f1,f2,cls\n1.5,-2e-3,1\n0,.5,0\n"), "d.csv", { label: "cls" });
      expect(Array.from(ds.features)).to.deep.equal([1.5, -0.002, 0, 0.5]);
      expect(Array.from(ds.labels)).to.deep.equal([1, 0]);
      const xy = parseDataset(utf8("x,label,y\n1,1,0\n2,0,1\n"), "d.csv", { label: "y" });
      expect(xy.columns).to.deep.equal(["x", "label"]);
      expect(Array.from(xy.labels)).to.deep.equal([0, 1]);
    });

    it("accepts CRLF, a BOM, quoted headers, spaces and trailing blank lines", () => {
      const ds = parse('\uFEFF"x 1", "x,2" ,label\r\n 1 , 2 ,1\r\n3,4,0.0\r\n\r\n\n', "d.csv");
      expect(ds.rows).to.equal(2);
      expect(Array.from(ds.features)).to.deep.equal([1, 2, 3, 4]);
      expect(Array.from(ds.labels)).to.deep.equal([1, 0]);
    });
  });

  describe("JSON errors", () => {
    it("invalid JSON: says where (line and column)", async () => {
      await expectFlaiError(() => parse('{"features": [[1, 2]],\n  "labels": [0, 1,]}'), "data.json", "not valid JSON", "line 2");
      await expectFlaiError(() => parse('{"features": [[1, 2]'), "data.json", "not valid JSON", "line 1");
    });

    it("missing keys: names them and the keys found", async () => {
      await expectFlaiError(() => parse('{"feature": [[1]], "labels": [0]}'), "data.json", '"features"', '"feature"');
      await expectFlaiError(() => parse('{"features": [[1], [2]]}'), "data.json", '"labels"');
    });

    it("wrong shapes", async () => {
      await expectFlaiError(() => parse('{"features": {"a": 1}, "labels": []}'), '"features" must be an array', "an object");
      await expectFlaiError(() => parse('{"features": [[1]], "labels": "01"}'), '"labels" must be an array', "a string");
      await expectFlaiError(() => parse('{"features": [1, 2], "labels": [0, 1]}'), "features[0]", "a number");
    });

    it("empty dataset", async () => {
      await expectFlaiError(() => parse('{"features": [], "labels": []}'), "data.json", "no rows");
      await expectFlaiError(() => parse('{"features": [[]], "labels": [0]}'), "features[0] is empty");
      await expectFlaiError(() => parse("  \n"), "data.json", "empty");
    });

    it("ragged rows: which row, expected vs got", async () => {
      await expectFlaiError(
        () => parse('{"features": [[1, 2, 3], [4, 5, 6], [7, 8]], "labels": [0, 1, 0]}'),
        "data.json",
        "row 2",
        "has 2 value(s), expected 3",
      );
    });

    it("non-numbers, NaN and Infinity: row and column", async () => {
      await expectFlaiError(() => parse('{"features": [[1, 2], [3, "x"]], "labels": [0, 1]}'), "row 1, column 1", '"x"');
      await expectFlaiError(() => parse('{"features": [[1, null], [3, 4]], "labels": [0, 1]}'), "row 0, column 1", "null");
      await expectFlaiError(() => parse('{"features": [[1, 2], ["NaN", 4]], "labels": [0, 1]}'), "row 1, column 0", '"NaN"');
      await expectFlaiError(() => parse('{"features": [[1, 2], [3, 1e400]], "labels": [0, 1]}'), "row 1, column 1", "Infinity");
    });

    it("bad labels: which row and value", async () => {
      await expectFlaiError(() => parse('{"features": [[1], [2], [3]], "labels": [0, 1, 2.5]}'), "labels[2]", "2.5", "integer");
      await expectFlaiError(() => parse('{"features": [[1], [2]], "labels": [0, null]}'), "labels[1]", "null");
      await expectFlaiError(
        () => parse('{"features": [[1], [2]], "labels": [0, "1"]}'),
        "labels[1]",
        '"1"',
        "all integers or all class names",
      );
    });

    it("labels/features length mismatch", async () => {
      await expectFlaiError(() => parse('{"features": [[1], [2], [3]], "labels": [0, 1]}'), "3 feature rows but 2 labels");
    });

    it("one class present is parsed (a federated client's share may have one); 0/1 data stays binary", () => {
      const ds = parse('{"features": [[1], [2]], "labels": [1, 1]}');
      expect(ds.classes).to.deep.equal([0, 1]);
      expect(Array.from(ds.labels)).to.deep.equal([1, 1]);
    });

    it("invalid UTF-8", async () => {
      await expectFlaiError(() => parseDataset(new Uint8Array([0x7b, 0xff, 0x7d]), "data.json"), "data.json", "UTF-8");
    });
  });

  describe("CSV errors", () => {
    it("a numeric first row is reported as a missing header", async () => {
      await expectFlaiError(() => parse("1,2,0\n3,4,1\n", "d.csv"), "d.csv line 1", "header");
    });

    it("header only / single column", async () => {
      await expectFlaiError(() => parse("a,b,label\n", "d.csv"), "d.csv", "no data rows");
      await expectFlaiError(() => parse("a;b;label\n1;2;0\n", "d.csv"), "d.csv line 1", "';' or tab");
    });

    it("ragged rows: line, expected vs got", async () => {
      await expectFlaiError(() => parse("a,b,label\n1,2,0\n3,1\n", "d.csv"), "d.csv line 3", "data row 1", "2 value(s), expected 3");
    });

    it("non-numbers: line, column name and feature index", async () => {
      await expectFlaiError(() => parse("a,label,b\n1,0,2\n3,1,abc\n", "d.csv"), "line 3", 'column 3 "b"', "feature index 1", '"abc"');
      await expectFlaiError(() => parse("a,b,label\n1,,0\n3,4,1\n", "d.csv"), "line 2", 'column 2 "b"', "empty");
      await expectFlaiError(() => parse("a,b,label\n1,NaN,0\n3,4,1\n", "d.csv"), "line 2", '"NaN"');
      await expectFlaiError(() => parse("a,b,label\n1,2,0\n3,Infinity,1\n", "d.csv"), "line 3", '"Infinity"');
      await expectFlaiError(() => parse("a,b,label\n1,0x10,0\n3,4,1\n", "d.csv"), "line 2", '"0x10"');
      await expectFlaiError(() => parse("a,b,label\n1,1e999,0\n3,4,1\n", "d.csv"), "line 2", '"1e999"');
    });

    it("labels mixing integers and names, or empty", async () => {
      await expectFlaiError(() => parse("a,label\n1,0\n2,yes\n", "d.csv"), "line 3", '"label"', '"yes"', "all integers or all class names");
      await expectFlaiError(() => parse("a,label\n1,0\n2,\n", "d.csv"), "line 3", '"label"', "empty");
    });

    it("one class present is parsed", () => {
      expect(Array.from(parse("a,label\n1,0\n2,0\n", "d.csv").labels)).to.deep.equal([0, 0]);
    });

    it("unterminated quote", async () => {
      await expectFlaiError(() => parse('a,label\n"1,0\n2,1\n', "d.csv"), "d.csv line 2", "never closed");
    });
  });

  describe("validateFeatureCount", () => {
    it("passes on a match and explains a mismatch", async () => {
      const ds = parse('{"features": [[1, 2], [3, 4]], "labels": [0, 1]}');
      validateFeatureCount(ds, 2, "data.json");
      await expectFlaiError(() => validateFeatureCount(ds, 3, "data.json"), "data.json", "2 feature(s)", "expects 3");
    });
  });
});
