// Issue 15: CSV and JSON datasets are read from their bytes (src/ml/csv-dataset.ts,
// src/ml/json-dataset.ts, src/ml/byte-text.ts) with memory bounded by the data. Checked against the
// reader as it was (test/helpers/dataset-reference.ts) on many generated files: the same numbers bit
// for bit, the same labels, classes and schema, and the same error message when the file is refused.
import { constants } from "node:buffer";

import { expect } from "chai";

import { scanDecimal, utf8TextStart } from "../../src/ml/byte-text.js";
import { NotPlain, scanJsonDataset } from "../../src/ml/json-dataset.js";
import { type Dataset, parseDataset } from "../../src/ml/dataset.js";
import type { ClassLabel } from "../../src/ml/parameters.js";
import type { DatasetOptions } from "../../src/ml/schema.js";
import { expectFlaiError } from "../helpers/assert.js";
import { parseDatasetReference } from "../helpers/dataset-reference.js";

const utf8 = (text: string) => new TextEncoder().encode(text);

/** A small seeded generator (mulberry32), so a failure can be replayed. */
function random(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(next() * n);
  const pick = <T>(items: readonly T[]): T => items[int(items.length)]!;
  const chance = (p: number) => next() < p;
  return { next, int, pick, chance };
}
type Random = ReturnType<typeof random>;

const EDGE_DECIMALS = [
  "0",
  "-0",
  "0.0",
  "-0.0",
  "1e-320",
  "4.9e-324",
  "5e-324",
  "2.2250738585072014e-308",
  "2.2250738585072011e-308",
  "1.7976931348623157e308",
  "0.1",
  "0.2",
  "0.30000000000000004",
  "9007199254740993",
  "9007199254740992",
  "123456789012345.6",
  "1234567890123456789012345678901234567890",
  "0.000000000000000000000000000001",
  "1e22",
  "1e23",
  "1E-22",
  "1e-23",
  "3.141592653589793238462643383279",
  "100000000000000000000000",
  "0.1000000000000000055511151231257827",
  "8.98846567431158e307",
  "1e0",
  "1e-0",
  "1e+0",
  "12e-2",
];

/** A number as someone might write it: JSON-valid when `json`. */
function decimal(rng: Random, json: boolean): string {
  const r = rng.next();
  let text: string;
  if (r < 0.2) text = rng.pick(EDGE_DECIMALS);
  else if (r < 0.4) text = String((rng.next() - 0.5) * 10 ** rng.int(40) * (rng.chance(0.5) ? 1 : 10 ** -rng.int(30)));
  else if (r < 0.55) text = (rng.next() * 1000 - 500).toFixed(rng.int(12));
  else if (r < 0.7) text = (rng.next() - 0.5).toExponential(rng.int(20)).replace("e+", rng.chance(0.5) ? "e" : "E+");
  else if (r < 0.85) {
    const digits = (n: number) => Array.from({ length: n }, () => rng.int(10)).join("");
    text = `${rng.chance(0.3) ? "-" : ""}${String(1 + rng.int(9))}${digits(rng.int(25))}.${digits(1 + rng.int(25))}e${rng.chance(0.5) ? "-" : ""}${rng.int(330)}`;
  } else text = String(rng.int(100000) - 50000);
  if (!json) {
    if (rng.chance(0.05)) text = text.replace(/^0\./, ".").replace(/^-0\./, "-.");
    if (rng.chance(0.05) && !text.startsWith("-")) text = `+${text}`;
    if (rng.chance(0.05) && !/[eE.]/.test(text)) text = `${text}.`;
    if (rng.chance(0.05)) text = `00${text.replace(/^[+-]/, "")}`;
  }
  if (json && !/^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/.test(text)) return String(Number(text));
  return text;
}

const BAD_CELLS = ["abc", "NA", "", "nan", "1e400", "-1e999", "0x1F", "1_0", "Infinity", "1,5", "1.2.3", "e5", "\u00a012", "１２", "null"];

function csvFile(rng: Random): { text: string; options: DatasetOptions } {
  const cols = 1 + rng.int(5);
  const names = Array.from({ length: cols }, (_, k) => `x${k}`);
  const labelName = rng.pick(["label", "y", "Target", "class"]);
  const labelAt = rng.int(cols + 1);
  const header = [...names];
  header.splice(labelAt, 0, labelName);
  const withNote = rng.chance(0.3);
  if (withNote) header.push("note");
  const options: DatasetOptions = {};
  if (labelName === "class") options.label = "class";
  if (withNote) options.ignore = ["note"];
  const imputing = rng.chance(0.2);
  if (imputing) options.impute = "mean";
  const stringLabels = rng.chance(0.3);
  const labelPool: string[] = stringLabels
    ? ["water", "forest", " urban ", '"quoted, label"', "ü-class", "\u00a0water", ...(rng.chance(0.2) ? ["5"] : [])]
    : ["0", "1", "1.0", "2", "-0", "01", "7"];
  if (rng.chance(0.15)) options.classes = stringLabels ? ["water", "forest", "urban", "quoted, label", "ü-class"] : [0, 1, 2, 7];
  const eol = rng.chance(0.3) ? "\r\n" : "\n";
  const lines: string[] = [header.map((h) => (rng.chance(0.1) ? `"${h}"` : rng.chance(0.1) ? ` ${h} ` : h)).join(",")];
  const rows = 1 + rng.int(30);
  const bad = rng.chance(0.25);
  for (let r = 0; r < rows; r++) {
    const cells = names.map(() => {
      if (bad && rng.chance(0.03)) return rng.pick(BAD_CELLS);
      if (imputing && rng.chance(0.05)) return rng.pick(["", "NA", "NaN"]);
      const value = decimal(rng, false);
      if (rng.chance(0.05)) return `"${value}"`;
      if (rng.chance(0.05)) return ` ${value}\t`;
      return value;
    });
    cells.splice(labelAt, 0, bad && rng.chance(0.02) ? "" : rng.pick(labelPool));
    if (withNote) cells.push(rng.pick(["plain", '"a, b"', '"two\nlines"', '"say ""hi"""', "", "ü", '  "padded"  ']));
    if (bad && rng.chance(0.02)) cells.pop();
    lines.push(cells.join(","));
    if (rng.chance(0.03)) lines.push(rng.pick(["", "  ", "\u00a0", '""']));
  }
  if (bad && rng.chance(0.2)) lines.push(rng.pick(['1,"open', '"x" y,1', "1,2,3,4,5,6,7,8,9"]));
  let text = lines.join(eol) + (rng.chance(0.7) ? eol : "");
  if (rng.chance(0.1)) text = `\ufeff${text}`;
  return { text, options };
}

function jsonFile(rng: Random): { text: string; options: DatasetOptions } {
  const cols = 1 + rng.int(5);
  const rows = 1 + rng.int(30);
  const bad = rng.chance(0.25);
  const sp = () => rng.pick(["", " ", "\n", "\r\n  ", "\t"]);
  const features = Array.from({ length: rows }, () => {
    const n = bad && rng.chance(0.03) ? cols + 1 : cols;
    const cells = Array.from({ length: n }, () =>
      bad && rng.chance(0.02) ? rng.pick(["null", '"1"', "1e400", "[]", "true", "01", "+1", ".5"]) : decimal(rng, true),
    );
    return `[${sp()}${cells.join(`${sp()},${sp()}`)}${sp()}]`;
  });
  const labelPool = rng.chance(0.3)
    ? ['"water"', '"forest"', '"a\\u0062c"', '"\\""', ...(rng.chance(0.2) ? ["3"] : [])]
    : ["0", "1", "2", "1.0", "-0", "1e0"];
  const labels = Array.from({ length: bad && rng.chance(0.05) ? rows + 1 : rows }, () =>
    bad && rng.chance(0.02) ? rng.pick(["1.5", '""', '" "', "null", "[0]", "9007199254740993"]) : rng.pick(labelPool),
  );
  const entries = [`"features":${sp()}[${features.join(",")}]`, `${sp()}"labels"${sp()}:[${labels.join(`,${sp()}`)}]`];
  if (rng.chance(0.3))
    entries.splice(
      rng.int(3),
      0,
      rng.pick(['"name": "demo"', '"n": 3', '"ok": true', '"x": null', '"meta": {"a": [1]}', '"cols": ["a", "b"]', '"s": "\\u00e9\\n"']),
    );
  if (rng.chance(0.5)) entries.reverse();
  if (bad && rng.chance(0.2)) entries.push(rng.pick(['"labels": [0]', '"features": 1', "}", '"x": ']));
  let text = `${sp()}{${sp()}${entries.join(`,${sp()}`)}${sp()}}${sp()}`;
  if (bad && rng.chance(0.1)) text = text.replace("]", "");
  if (rng.chance(0.1)) text = `\ufeff${text}`;
  const options: DatasetOptions = {};
  if (rng.chance(0.1)) options.classes = [0, 1, 2];
  return { text, options };
}

type Outcome = { ok: true; ds: Dataset } | { ok: false; message: string };

function outcome(read: () => Dataset): Outcome {
  try {
    return { ok: true, ds: read() };
  } catch (error) {
    return { ok: false, message: error instanceof Error ? `${error.constructor.name}: ${error.message}` : String(error) };
  }
}

function expectSame(text: string, options: DatasetOptions, source: string): boolean {
  const bytes = utf8(text);
  const want = outcome(() => parseDatasetReference(bytes, source, options));
  const got = outcome(() => parseDataset(bytes, source, options));
  const context = `${source} ${JSON.stringify(options)}:\n${text.slice(0, 2000)}`;
  if (!want.ok) {
    expect(got, context).to.deep.equal(want);
    return false;
  }
  expect(got.ok, `${context}\n${got.ok ? "" : got.message}`).to.equal(true);
  const a = want.ds;
  const b = (got as { ds: Dataset }).ds;
  expect([b.rows, b.cols, b.features.length], context).to.deep.equal([a.rows, a.cols, a.features.length]);
  // Bit for bit: -0 and 0 differ, as do any two doubles one ulp apart.
  expect(
    Buffer.from(b.features.buffer, b.features.byteOffset, b.features.byteLength).equals(
      Buffer.from(a.features.buffer, a.features.byteOffset, a.features.byteLength),
    ),
    context,
  ).to.equal(true);
  expect(Array.from(b.labels), context).to.deep.equal(Array.from(a.labels));
  expect(b.classes, context).to.deep.equal(a.classes);
  expect(b.columns, context).to.deep.equal(a.columns);
  expect(b.schema, context).to.deep.equal(a.schema);
  return true;
}

describe("ml/dataset read from bytes (issue 15: memory bounded by the data)", () => {
  it("converts decimals exactly as Number() does, or leaves them to it (random and edge decimals)", () => {
    const rng = random(15);
    let fast = 0;
    for (let k = 0; k < 100_000; k++) {
      for (const json of [false, true]) {
        const text = decimal(rng, json);
        const bytes = utf8(text);
        const v = scanDecimal(bytes, 0, bytes.length, json);
        if (v === undefined) continue;
        fast++;
        expect(Object.is(v, Number(text)), `${text}: ${v} vs ${Number(text)}`).to.equal(true);
        if (json) expect(Object.is(v, JSON.parse(text)), text).to.equal(true);
      }
    }
    expect(fast).to.be.greaterThan(50_000); // the fast path is taken for most numbers people write
    for (const text of ["", "-", "+", ".", "1e", "1e+", "--1", "1..2", "0x10", "1_0", " 1", "1 "]) {
      expect(scanDecimal(utf8(text), 0, text.length, false), text).to.equal(undefined);
    }
    for (const text of ["+1", "01", ".5", "5.", "-.5"]) expect(scanDecimal(utf8(text), 0, text.length, true), text).to.equal(undefined);
  });

  it("reads 3000 generated CSV files as the old reader did: the same numbers bit for bit, or the same error", () => {
    const rng = random(4180);
    let parsed = 0;
    for (let k = 0; k < 3000; k++) {
      const { text, options } = csvFile(rng);
      if (expectSame(text, options, `gen${k}.csv`)) parsed++;
    }
    expect(parsed).to.be.within(1000, 2900); // both outcomes are exercised
  });

  it("reads 3000 generated JSON files as the old reader did: the same numbers bit for bit, or the same error", () => {
    const rng = random(8259);
    let parsed = 0;
    let plain = 0;
    for (let k = 0; k < 3000; k++) {
      const { text, options } = jsonFile(rng);
      if (expectSame(text, options, `gen${k}.json`)) parsed++;
      const bytes = utf8(text);
      if (!(scanJsonDataset(bytes, utf8TextStart(bytes, "gen.json"), "gen.json") instanceof NotPlain)) plain++;
    }
    expect(parsed).to.be.within(1000, 2900);
    expect(plain).to.be.greaterThan(1000); // most are read from the bytes, not left to the text reader
  });

  it("keeps the old reader's answers on hand-picked awkward files", () => {
    const cases: [string, DatasetOptions?][] = [
      ["\ufeff\ufeffa,label\n1,0\n"],
      ["\ufeff\ufeff\ufeffa,label\n1,0\n"],
      ["a,label\r1,0\r2,1"],
      ['a,label\n"1\n2",0\n'],
      ['a,b,label\n1,"x\ny",0\n2,"z",1\n', { ignore: ["b"] }],
      ['a,label\n"1" \u00a0,0\n'],
      ["a,label\n\u00a01\u00a0,0\n"],
      ["a,label\n1,\u00a0\n"],
      ['a,label\n1,0\n"'],
      ["a,label\n1,0\n2,1\n\n\n"],
      ["a\u00a0,label\n1,0\n"],
      ["1,2\n3,4\n"],
      ['"",""\n'],
      ['""\n'],
      ["a,label\n1,0,\n"],
      ['  {"features": [[1]], "labels": [0]}'],
      ['\ufeff\ufeff\ufeff{"features": [[1]], "labels": [0]}'],
      ['{"features": [[1]], "labels": [0], "features": [[2]]}'],
      ['{"features": [[1]], "labels": [0]} x'],
      ['{"features": [], "labels": []}'],
      ['{"labels": [0], "features": [[1, 2]]}'],
      ['{"features": [[1, 2], [3]], "labels": [0, 1]}'],
      ['{"features": [[1e400]], "labels": [0]}'],
      ['{"features": [[1]], "labels": ["a\\u0000"]}'],
      ['{"features": [[1]], "labels": [0]}', { label: "y" }],
      ['{"feat\\u0075res": [[1]], "labels": [0]}'],
    ];
    for (const [text, options] of cases) expectSame(text, options ?? {}, "case.csv");
  });

  describe("files larger than a JavaScript string (was refused at ~512 MB)", () => {
    // One buffer a little over the string limit, reused: [prefix][filler…][suffix].
    const size = constants.MAX_STRING_LENGTH + 64;
    let big: Uint8Array | undefined;
    after(() => {
      big = undefined; // 512 MB: not kept for the rest of the run
    });
    const fill = (prefix: string, filler: number, suffix: string) => {
      big ??= new Uint8Array(size);
      big.fill(filler);
      big.set(utf8(prefix), 0);
      big.set(utf8(suffix), size - suffix.length);
      return big;
    };

    it("a CSV over the string limit, its bulk in an ignored column, is read", () => {
      const bytes = fill("note,x,label\n", 0x61, ",2.5,1\n");
      const ds = parseDataset(bytes, "big.csv", { ignore: ["note"] });
      expect([ds.rows, ds.cols, ds.features[0], ds.labels[0]]).to.deep.equal([1, 1, 2.5, 1]);
    });

    it("a single CSV cell over the string limit is named, not a stack trace", async () => {
      const bytes = fill("note,x,label\n", 0x61, ",2.5,1\n");
      await expectFlaiError(() => parseDataset(bytes, "big.csv"), 'big.csv line 2 (data row 0), column 1 "note"', "bytes long", ".npz");
    });

    it("a JSON dataset over the string limit, with a long string under another key, is read", () => {
      const bytes = fill('{"note": "', 0x61, '", "features": [[1, 2]], "labels": ["b"]}');
      const ds = parseDataset(bytes, "big.json");
      expect([ds.rows, ds.cols, Array.from(ds.features), ds.classes]).to.deep.equal([1, 2, [1, 2], ["b"] as ClassLabel[]]);
    });

    it("a JSON dataset over the string limit that is not in the plain form is named by line", async () => {
      const bytes = fill('{"note": "', 0x61, '",\n "features": [[1, null]], "labels": [0]}');
      await expectFlaiError(() => parseDataset(bytes, "big.json"), "big.json line 2: a JSON dataset of", "NumPy .npz");
    });
  });
});
