// Issue 15, JSON the user hands in (datasets, model specs: src/ml/json-structure.ts): a key given
// twice is refused (JSON.parse silently keeps the last, other readers the first), and nesting deep
// enough to overflow a recursive walker is refused instead of surfacing as a RangeError.
import { readFile } from "node:fs/promises";
import path from "node:path";

import { expect } from "chai";

import { parseDataset } from "../../src/ml/dataset.js";
import { parseModelSpec } from "../../src/ml/model.js";
import { MAX_JSON_DEPTH } from "../../src/ml/json-structure.js";
import { shown } from "../../src/ml/shown.js";
import { expectFlaiError } from "../helpers/assert.js";
import { FIXTURES } from "../helpers/project.js";

const bytes = (text: string) => new TextEncoder().encode(text);
const nested = (depth: number) => "[".repeat(depth) + "]".repeat(depth);
const spec = async () => readFile(path.join(FIXTURES, "model.json"), "utf8");

describe("bad input: duplicate keys and absurd nesting in JSON inputs", () => {
  it('refuses a dataset whose "labels" key appears twice, naming the key and line', async () => {
    const text = '{"features": [[1], [2]],\n "labels": [0, 1],\n "labels": [1, 0]}';
    await expectFlaiError(() => parseDataset(bytes(text), "data.json"), "data.json line 3", 'key "labels" appears twice');
  });

  it("refuses a key repeated under another spelling (\\u escape) in a nested spec object", async () => {
    const text = (await spec()).replace(/"hyperparameters"\s*:\s*\{/, '"hyperparameters": {"c": 5, "\\u0063": 0.01, ');
    await expectFlaiError(() => parseModelSpec(bytes(text), "model.json"), "model.json line", 'key "c" appears twice');
  });

  it("accepts the same key in sibling objects (not a duplicate)", () => {
    const text = '{"features": [[1], [2]], "labels": [0, 1], "about": {"name": "a"}, "source": {"name": "b"}}';
    expect(parseDataset(bytes(text), "data.json").rows).to.equal(2);
  });

  it("refuses a 200 000-deep label instead of a RangeError", async () => {
    const text = `{"features": [[1], [2]], "labels": [0, ${nested(200_000)}]}`;
    await expectFlaiError(() => parseDataset(bytes(text), "data.json"), "data.json line 1", `nested more than ${MAX_JSON_DEPTH} deep`);
  });

  it("refuses a 200 000-deep value in a model spec instead of a RangeError", async () => {
    const text = (await spec()).replace(/\}\s*$/, `, "extra": ${nested(200_000)}}`);
    await expectFlaiError(() => parseModelSpec(bytes(text), "model.json"), "model.json line", `nested more than ${MAX_JSON_DEPTH} deep`);
  });

  it("shows a value too deep to stringify without throwing", () => {
    expect(shown(JSON.parse(nested(200_000)))).to.equal("a value nested too deep to show");
  });
});
// Text over the string limit (~512 MB) is read since the byte-level readers: test/ml/dataset-stream.test.ts.
