import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";

import { expect } from "chai";

import { parseDataset } from "../../src/ml/dataset.js";
import {
  canonicalJson,
  modelBytes,
  parseModelSpec,
  parseTrainedModel,
  resultHash,
  trainFromSpec,
  type ModelSpec,
} from "../../src/ml/model.js";

import { expectFlaiError } from "../helpers/assert.js";

const read = (name: string) => readFileSync(new URL(`../../fixtures/${name}`, import.meta.url));
const dataset = parseDataset(read("data.json"), "data.json");
const utf8 = (text: string) => new TextEncoder().encode(text);
const spec = (value: unknown) => parseModelSpec(utf8(typeof value === "string" ? value : JSON.stringify(value)), "model.json");
const roots = { datasetRoot: "0x" + "AB".repeat(32), modelRoot: "0x" + "cd".repeat(32) };
const base = { format: "flai-model/v1", algorithm: "logistic-regression", features: 8 };

describe("ml/model", () => {
  describe("parseModelSpec", () => {
    it("reads the fixture", () => {
      expect(parseModelSpec(read("model.json"), "model.json")).to.deep.equal({
        ...base,
        hyperparameters: { c: 1, maxIterations: 100, tolerance: 1e-4, standardize: true },
      });
    });

    it("fills in default hyperparameters", () => {
      expect(spec(base).hyperparameters).to.deep.equal({ c: 1, maxIterations: 100, tolerance: 1e-4, standardize: true });
      expect(spec({ ...base, hyperparameters: { c: 0.5 } }).hyperparameters.c).to.equal(0.5);
    });

    it("keeps warm-start weights and bias", () => {
      const s = spec({ ...base, weights: [1, 2, 3, 4, 5, 6, 7, 8], bias: -1 });
      expect(s.weights).to.deep.equal([1, 2, 3, 4, 5, 6, 7, 8]);
      expect(s.bias).to.equal(-1);
    });

    it("explains every bad input", async () => {
      await expectFlaiError(() => spec('{"format": "flai-model/v1",\n "features": 8,}'), "model.json", "not valid JSON", "line 2");
      await expectFlaiError(() => spec("[1]"), "model.json", "JSON object");
      await expectFlaiError(() => spec({ ...base, format: undefined }), 'missing "format"', '"flai-model/v1"');
      await expectFlaiError(() => spec({ ...base, format: "flai-model/v2" }), 'unsupported "format"', "flai-model/v2");
      await expectFlaiError(() => spec({ ...base, algorithm: "svm" }), 'unknown "algorithm"', '"svm"', "logistic-regression");
      await expectFlaiError(() => spec({ ...base, features: 0 }), '"features"', "got 0");
      await expectFlaiError(() => spec({ ...base, features: 2.5 }), '"features"', "2.5");
      await expectFlaiError(() => spec({ ...base, hyperparameters: { c: -1 } }), '"hyperparameters.c"', "-1");
      await expectFlaiError(() => spec({ ...base, hyperparameters: { c: "1" } }), '"hyperparameters.c"', '"1"');
      await expectFlaiError(() => spec({ ...base, hyperparameters: { C: 1 } }), '"hyperparameters.C"', 'Did you mean "hyperparameters.c"');
      await expectFlaiError(() => spec({ ...base, hyperparameters: { max_iter: 5 } }), 'Did you mean "hyperparameters.maxIterations"');
      await expectFlaiError(() => spec({ ...base, hyperparameters: { maxIterations: 1.5 } }), '"hyperparameters.maxIterations"', "1.5");
      await expectFlaiError(() => spec({ ...base, hyperparameters: { tolerance: -1e-4 } }), '"hyperparameters.tolerance"');
      await expectFlaiError(() => spec({ ...base, hyperparameters: { standardize: "yes" } }), '"hyperparameters.standardize"', '"yes"');
      await expectFlaiError(() => spec({ ...base, hyperparameters: [] }), '"hyperparameters" must be an object');
      await expectFlaiError(() => spec({ ...base, weights: [1, 2, 3] }), '"weights" has 3 values', '"features" is 8');
      await expectFlaiError(() => spec({ ...base, weights: [1, 2, 3, 4, 5, 6, 7, "8"] }), '"weights[7]"', '"8"');
      await expectFlaiError(() => spec({ ...base, bias: "0" }), '"bias"', "finite number");
      await expectFlaiError(() => spec({ ...base, epochs: 3 }), 'unknown key "epochs"', "Allowed keys");
      await expectFlaiError(
        () =>
          spec({
            ...base,
            hyperparameters: { standardize: false },
            standardization: { mean: new Array(8).fill(0), scale: new Array(8).fill(1) },
          }),
        '"standardization" is given',
        "standardize",
      );
      await expectFlaiError(
        () => spec({ ...base, standardization: { mean: new Array(8).fill(0), scale: new Array(8).fill(0) } }),
        "standardization.scale[0]",
      );
    });
  });

  describe("training and the result bytes", () => {
    const fixtureSpec = parseModelSpec(read("model.json"), "model.json");

    it("trains from the fixture spec", () => {
      const model = trainFromSpec(fixtureSpec, dataset, roots, "data.json");
      expect(model.format).to.equal("flai-model/v1");
      expect(model.weights).to.have.length(8);
      expect(model.training.samples).to.equal(400);
      expect(model.training.converged).to.equal(true);
      expect(model.training.accuracy).to.be.greaterThan(0.9);
      expect(model.training.logLoss).to.be.within(0, 0.3);
      expect(model.standardization?.mean).to.have.length(8);
      expect(model.datasetRoot, "roots are lower-cased").to.equal("0x" + "ab".repeat(32));
    });

    it("checks the dataset's feature count against the spec", async () => {
      await expectFlaiError(
        () => trainFromSpec({ ...fixtureSpec, features: 7 }, dataset, roots, "data.json"),
        "data.json",
        "8 feature(s)",
        "expects 7",
      );
    });

    it("rejects roots that are not 32-byte hex", async () => {
      await expectFlaiError(() => trainFromSpec(fixtureSpec, dataset, { ...roots, modelRoot: "0x1234" }), '"modelRoot"', "64 hex");
    });

    it("is deterministic: two runs give identical bytes and hash", () => {
      const a = modelBytes(trainFromSpec(fixtureSpec, dataset, roots));
      const b = modelBytes(trainFromSpec(fixtureSpec, dataset, roots));
      expect(Buffer.from(a).equals(Buffer.from(b))).to.equal(true);
      expect(resultHash(a)).to.equal(resultHash(b));
    });

    it("modelBytes is canonical JSON plus one newline; resultHash is SHA-256 over exactly those bytes", () => {
      const model = trainFromSpec(fixtureSpec, dataset, roots);
      const bytes = modelBytes(model);
      const text = new TextDecoder().decode(bytes);
      expect(text.endsWith("}\n")).to.equal(true);
      expect(text.slice(0, -1)).to.equal(canonicalJson(model));
      expect(text.slice(0, -1)).to.not.match(/\s/);
      expect(resultHash(bytes)).to.equal("0x" + createHash("sha256").update(bytes).digest("hex"));
      expect(resultHash(bytes)).to.match(/^0x[0-9a-f]{64}$/);
    });

    it("parseTrainedModel round-trips the exact model and bytes", () => {
      const model = trainFromSpec(fixtureSpec, dataset, roots);
      const parsed = parseTrainedModel(modelBytes(model), "trained_model.json");
      expect(parsed).to.deep.equal(model);
      expect(Buffer.from(modelBytes(parsed)).equals(Buffer.from(modelBytes(model)))).to.equal(true);
      // Formatting does not matter for reading, only for the hash.
      expect(parseTrainedModel(utf8(JSON.stringify(model, null, 2)), "pretty.json")).to.deep.equal(model);
    });

    it("parseTrainedModel explains bad files", async () => {
      const model = JSON.parse(new TextDecoder().decode(modelBytes(trainFromSpec(fixtureSpec, dataset, roots))));
      const bad = (patch: Record<string, unknown>) => utf8(JSON.stringify({ ...model, ...patch }));
      await expectFlaiError(() => parseTrainedModel(bad({ training: undefined }), "t.json"), "t.json", 'missing "training"');
      await expectFlaiError(() => parseTrainedModel(bad({ weights: [1] }), "t.json"), '"weights" has 1 values');
      await expectFlaiError(() => parseTrainedModel(bad({ datasetRoot: "abc" }), "t.json"), '"datasetRoot"', '"abc"');
      await expectFlaiError(
        () => parseTrainedModel(bad({ training: { ...model.training, accuracy: 2 } }), "t.json"),
        '"training.accuracy"',
      );
      await expectFlaiError(() => parseTrainedModel(bad({ training: { ...model.training, samples: 0 } }), "t.json"), '"training.samples"');
      await expectFlaiError(() => parseTrainedModel(bad({ hyperparameters: { c: 1 } }), "t.json"), '"hyperparameters.maxIterations"');
      await expectFlaiError(() => parseTrainedModel(bad({ extra: 1 }), "t.json"), 'unknown key "extra"');
    });

    it("a trained model is a valid spec: warm start with its standardization converges in 0–1 iterations", () => {
      const model = trainFromSpec(fixtureSpec, dataset, roots);
      const next: ModelSpec = parseModelSpec(modelBytes(model), "global_model.json");
      expect(next.standardization).to.deep.equal(model.standardization);
      const again = trainFromSpec(next, dataset, roots);
      expect(again.training.iterations).to.be.at.most(1);
      expect(again.standardization).to.deep.equal(model.standardization);
    });
  });

  describe("canonicalJson", () => {
    it("sorts keys recursively and writes no whitespace", () => {
      expect(canonicalJson({ b: 1, a: { d: [3, { z: 1, y: 2 }], c: "x y" } })).to.equal('{"a":{"c":"x y","d":[3,{"y":2,"z":1}]},"b":1}');
    });

    it("writes numbers in the shortest round-trip form", () => {
      expect(canonicalJson([0.1, 1e-7, 1e21, 1.5, -0, 100, 0.30000000000000004, 5e-324])).to.equal(
        "[0.1,1e-7,1e+21,1.5,0,100,0.30000000000000004,5e-324]",
      );
      for (const v of [Math.PI, -1 / 3, 2 ** 53 + 2, 1.7976931348623157e308]) {
        expect(JSON.parse(canonicalJson(v))).to.equal(v);
      }
    });

    it("escapes strings as JSON does", () => {
      expect(canonicalJson({ 'q"': 'a"\n\u0001é' })).to.equal('{"q\\"":"a\\"\\n\\u0001é"}');
    });

    it("rejects NaN, Infinity, undefined and non-plain values, naming the path", async () => {
      await expectFlaiError(() => canonicalJson({ a: [1, NaN] }), "$.a[1]", "NaN");
      await expectFlaiError(() => canonicalJson({ a: Infinity }), "$.a", "Infinity");
      await expectFlaiError(() => canonicalJson({ a: { b: undefined } }), "$.a.b", "undefined");
      await expectFlaiError(() => canonicalJson([undefined]), "$[0]", "undefined");
      await expectFlaiError(() => canonicalJson({ w: new Float64Array(2) }), "$.w", "typed array");
      await expectFlaiError(() => canonicalJson(new Date(0)), "$", "object");
      await expectFlaiError(() => canonicalJson(1n), "$", "bigint");
    });
  });
});
