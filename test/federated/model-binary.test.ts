// The binary global model format (issue 14): exact round trips, one byte string per model in any
// process, JSON tasks' bytes unchanged, a binary task's rounds through the real enclave and
// flai:verify, and every malformed binary model refused by what is wrong with it.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import path from "node:path";
import { readdir, readFile } from "node:fs/promises";
import { promisify } from "node:util";

import type { FlaiConnection } from "../../src/chain/connection.js";
import { BINARY_MODEL_MAGIC, decodeBinaryGlobalModel } from "../../src/federated/global-model-binary.js";
import {
  addDelta,
  BINARY_MODEL_FROM_PARAMETERS,
  defaultModelFormat,
  globalModelBytes,
  modelParameters,
  parameterCount,
  parseGlobalModel,
  type GlobalModel,
} from "../../src/federated/global-model.js";
import { canonicalJson } from "../../src/ml/model.js";
import { parameterVector, splitParameters, weightsToJson } from "../../src/ml/parameters.js";
import { overallVerdict, type VerifyItem } from "../../src/verify/common.js";
import { verifyRound } from "../../src/verify/rounds.js";
import { strategyFromArgs } from "../../src/cli/strategy-args.js";

import { expectFlaiError } from "../helpers/assert.js";
import { pluginProject, runHardhat } from "../helpers/cli.js";
import { federatedFixture, type FederatedFixture, readersOf } from "../helpers/federated.js";
import { FIXTURES } from "../helpers/project.js";
import { AWKWARD, sampleBinaryModel } from "../fixtures-scripts/binary-model-hash.js";

const SCRIPT = path.resolve(import.meta.dirname, "..", "fixtures-scripts", "binary-model-hash.ts");
/** SHA-256 of sampleBinaryModel()'s bytes in format v1: a change to the format shows here. */
const SAMPLE_HASH = "0x429f2fc70a993ea25037cff2e8babf92de1ec5092cdc4aac6f51f2614aa5d2d0";
const sha256 = (bytes: Uint8Array) => "0x" + createHash("sha256").update(bytes).digest("hex");
const asJson = (model: GlobalModel): GlobalModel => {
  const { modelFormat: _binary, ...federated } = model.federated;
  return { ...model, federated };
};

/** The binary bytes of `model` with its header replaced by `edit(header)` (re-padded, arrays kept). */
function withHeader(bytes: Uint8Array, edit: (header: { arrays: [string, number][]; model: Record<string, unknown> }) => void): Uint8Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const length = view.getUint32(12, true);
  const header = JSON.parse(Buffer.from(bytes.subarray(16, 16 + length)).toString("utf8"));
  const arrays = bytes.subarray(Math.ceil((16 + length) / 8) * 8);
  edit(header);
  const text = Buffer.from(canonicalJson(header));
  const start = Math.ceil((16 + text.length) / 8) * 8;
  const out = new Uint8Array(start + arrays.length);
  out.set(bytes.subarray(0, 12));
  new DataView(out.buffer).setUint32(12, text.length, true);
  out.set(text, 16);
  out.set(arrays, start);
  return out;
}

/** Where the first float64 array starts in `bytes`. */
const arraysStart = (bytes: Uint8Array) => Math.ceil((16 + new DataView(bytes.buffer, bytes.byteOffset).getUint32(12, true)) / 8) * 8;

describe("binary global model: format", () => {
  it("round-trips every number exactly, and re-encodes to the same bytes", () => {
    const model = sampleBinaryModel();
    const bytes = globalModelBytes(model);
    assert.deepEqual([...bytes.subarray(0, 8)], [...BINARY_MODEL_MAGIC]);
    const back = parseGlobalModel(bytes, "sample");
    assert.deepStrictEqual(back, model);
    assert.deepEqual((back.weights as number[][])[0]!.slice(0, AWKWARD.length), AWKWARD);
    assert.deepEqual(globalModelBytes(back), bytes);
    // The same model as JSON reads back to the same numbers.
    assert.deepStrictEqual(parseGlobalModel(globalModelBytes(asJson(model)), "json"), asJson(model));
  });

  it("round-trips a binary (one-output) model without standardization or correction", () => {
    const model: GlobalModel = {
      ...asJson(sampleBinaryModel(8)),
      classes: undefined,
      weights: [1.5, -2, 0, 3e-7, 1, 2, 3, 4],
      bias: -0.25,
      standardization: null,
      correction: undefined,
      federated: { ...sampleBinaryModel().federated, local: { maxIterations: 3, c: 1, mu: 0 } },
    };
    delete model.classes;
    delete model.correction;
    const bytes = globalModelBytes(model);
    assert.equal(bytes.length, arraysStart(bytes) + 8 * 9);
    assert.deepStrictEqual(parseGlobalModel(bytes, "binary"), model);
  });

  it("keeps a CSV task's schema in the header", () => {
    const model: GlobalModel = {
      ...sampleBinaryModel(),
      schema: { label: "kind", columns: Array.from({ length: 12 }, (_, j) => `x${j}`), ignore: ["id"], impute: null },
    };
    const bytes = globalModelBytes(model);
    assert.deepStrictEqual(parseGlobalModel(bytes, "csv task").schema, model.schema);
    assert.ok(Buffer.from(globalModelBytes(parseGlobalModel(bytes, "csv task"))).equals(bytes));
  });

  it("writes -0 as +0 (as JSON does), refuses to write NaN or Infinity, and refuses to read -0, NaN or Infinity", async () => {
    const model = sampleBinaryModel();
    const negative = structuredClone(model);
    (negative.weights as number[][])[1]![9] = -0;
    const positive = structuredClone(model);
    (positive.weights as number[][])[1]![9] = 0;
    assert.deepEqual(globalModelBytes(negative), globalModelBytes(positive));
    assert.ok(Object.is((parseGlobalModel(globalModelBytes(negative), "m").weights as number[][])[1]![9], 0));

    for (const bad of [NaN, Infinity]) {
      const m = structuredClone(model);
      m.correction![4] = bad;
      await expectFlaiError(() => globalModelBytes(m), `correction[4] = ${bad}`, "must be finite");
    }
    const bytes = globalModelBytes(model);
    // weights[0][1] is the second float64 of the first array.
    for (const [value, said] of [
      [-0, "-0"],
      [NaN, "NaN"],
      [-Infinity, "-Infinity"],
    ] as const) {
      const patched = Uint8Array.from(bytes);
      new DataView(patched.buffer).setFloat64(arraysStart(bytes) + 8, value, true);
      await expectFlaiError(
        () => parseGlobalModel(patched, "global model 0xabc"),
        "global model 0xabc",
        `"weights" array holds ${said} at index 1`,
      );
    }
  });

  it("gives the same bytes in another process (pinned: the format is version 1)", async () => {
    const here = sha256(globalModelBytes(sampleBinaryModel()));
    const { stdout } = await promisify(execFile)(process.execPath, ["--import", import.meta.resolve("tsx/esm"), SCRIPT]);
    assert.equal(stdout.trim(), here);
    assert.equal(here, SAMPLE_HASH);
  });

  it("leaves JSON models byte for byte as they were (canonical JSON + newline, no modelFormat key)", () => {
    const json = asJson(sampleBinaryModel());
    const bytes = globalModelBytes(json);
    assert.equal(Buffer.from(bytes).toString("utf8"), canonicalJson(json) + "\n");
    assert.ok(!Buffer.from(bytes).toString("utf8").includes("modelFormat"));
    // An explicit "json" is read too (and written as given).
    const explicit = { ...json, federated: { ...json.federated, modelFormat: "json" as const } };
    assert.deepStrictEqual(parseGlobalModel(globalModelBytes(explicit), "m"), explicit);
  });

  it("defaults to JSON below 10,000 parameters and binary from there; --model-format is checked", async () => {
    assert.equal(BINARY_MODEL_FROM_PARAMETERS, 10_000);
    assert.equal(defaultModelFormat(9_999), "json");
    assert.equal(defaultModelFormat(10_000), "binary");
    assert.equal(strategyFromArgs({ strategy: "fedavg", modelFormat: "binary" }).modelFormat, "binary");
    assert.equal(strategyFromArgs({ strategy: "fedavg" }).modelFormat, undefined);
    await expectFlaiError(
      () => strategyFromArgs({ strategy: "fedavg", modelFormat: "npy" }),
      '--model-format must be one of json, binary, got "npy"',
    );
  });
});

describe("global model: addDelta in one pass", () => {
  it("gives exactly what the way through parameterVector and back gave (binary and 3 classes)", () => {
    const multi = sampleBinaryModel();
    const { classes: _c, ...rest } = multi;
    const binary: GlobalModel = { ...rest, weights: (multi.weights as number[][])[0]!, bias: 0.125 };
    for (const model of [multi, binary]) {
      const delta = Float64Array.from({ length: parameterCount(model) }, (_, i) => (i % 3 === 0 ? -0 : Math.sin(i) * 1e-3));
      const p = modelParameters(model);
      const moved = parameterVector(p.weights, p.bias);
      for (let i = 0; i < moved.length; i++) moved[i]! += delta[i]!;
      const split = splitParameters(moved, model.features, p.outputs);
      assert.deepStrictEqual(addDelta(model, delta), weightsToJson(split.weights, split.bias));
    }
    assert.throws(() => addDelta(binary, new Float64Array(3)), /has 13 values, got 3/);
  });
});

describe("binary global model: refusals", () => {
  const model = sampleBinaryModel();
  const bytes = globalModelBytes(model);
  const refuse = (b: Uint8Array, ...fragments: string[]) =>
    expectFlaiError(() => parseGlobalModel(b, "global model 0xabc"), "global model 0xabc is not a hardhat-flai global model", ...fragments);

  it("refuses bytes cut short anywhere", async () => {
    await refuse(bytes.subarray(0, 5), "magic bytes");
    await refuse(bytes.subarray(0, 12), "cut short", "16-byte preamble");
    await refuse(bytes.subarray(0, 40), "cut short", "its header declares");
    await refuse(bytes.subarray(0, bytes.length - 8), "cut short", `arrays up to byte ${bytes.length}`, `has ${bytes.length - 8} bytes`);
    await refuse(bytes.subarray(0, bytes.length - 3), "cut short");
  });

  it("refuses trailing bytes", async () => {
    await refuse(Uint8Array.from([...bytes, 0]), "1 trailing byte(s) after its last array");
    await refuse(Uint8Array.from([...bytes, ...new Uint8Array(16)]), "16 trailing byte(s)");
  });

  it("refuses a wrong magic or version", async () => {
    const magic = Uint8Array.from(bytes);
    magic[3] = 0x58;
    await refuse(magic, "magic bytes");
    const version = Uint8Array.from(bytes);
    new DataView(version.buffer).setUint32(8, 2, true);
    await refuse(version, "binary format version 2 is not one this version reads (1)");
  });

  it("refuses a header lying about the arrays' lengths", async () => {
    // Weights one shorter and the correction one longer: the same total, so only the shape can tell.
    const shifted = withHeader(bytes, (h) => {
      h.arrays[0]![1] -= 1;
      h.arrays[4]![1] += 1;
    });
    await refuse(shifted, `"weights" array has 35 values, but 3 output(s) × 12 features need 36`);
    const longer = withHeader(bytes, (h) => void (h.arrays[4]![1] += 1));
    await refuse(longer, "cut short");
    const bias = withHeader(bytes, (h) => {
      h.arrays[1]![1] = 1;
      h.arrays[4]![1] += 2;
    });
    await refuse(bias, `"bias" array has 1 value(s), but 3 classes need 3`);
    const features = withHeader(bytes, (h) => void (h.model.features = 13));
    await refuse(features, "need 39");
    await refuse(
      withHeader(bytes, (h) => void (h.arrays[0]![1] = -1)),
      `declares "weights" with length -1`,
    );
    await refuse(
      withHeader(bytes, (h) => void h.arrays.reverse()),
      "in that order",
    );
    const noMean = withHeader(bytes, (h) => {
      h.arrays.splice(2, 1);
      h.arrays[3]![1] += 12;
    });
    await refuse(noMean, `both "standardization.mean" and "standardization.scale", or neither`);
    await refuse(
      withHeader(bytes, (h) => void h.arrays.splice(0, 0, ["coefficients", 0])),
      `"coefficients"`,
    );
  });

  it("refuses a header that is not the model's one encoding, or names another format", async () => {
    const broken = Uint8Array.from(bytes);
    broken[16] = 0x5b; // '{' → '['
    await expectFlaiError(() => parseGlobalModel(broken, "global model 0xabc"), "global model 0xabc (binary header) is not valid JSON");
    // Valid JSON with one space more (a new length and padding): not the canonical header.
    const loose = withHeader(bytes, () => undefined);
    const text = Buffer.from(loose.subarray(16, 16 + new DataView(loose.buffer).getUint32(12, true))).toString("utf8");
    const respaced = Buffer.from(text.replace('{"arrays":', '{ "arrays":'));
    const padded = new Uint8Array(Math.ceil((16 + respaced.length) / 8) * 8 + (loose.length - arraysStart(loose)));
    padded.set(loose.subarray(0, 12));
    new DataView(padded.buffer).setUint32(12, respaced.length, true);
    padded.set(respaced, 16);
    padded.set(loose.subarray(arraysStart(loose)), Math.ceil((16 + respaced.length) / 8) * 8);
    await refuse(padded, "not canonical JSON");
    await refuse(
      withHeader(bytes, (h) => void delete (h.model.federated as Record<string, unknown>).modelFormat),
      `"federated.modelFormat" is undefined, not "binary"`,
    );
    await refuse(
      withHeader(bytes, (h) => void (h.model.weights = [1])),
      `carries "weights"`,
    );
    const json = Buffer.from(canonicalJson(model) + "\n");
    await refuse(json, `it is JSON, but "federated.modelFormat" is "binary"`);
  });

  it("refuses non-zero padding after the header", async () => {
    const padding = Uint8Array.from(bytes);
    const headerEnd = 16 + new DataView(padding.buffer).getUint32(12, true);
    assert.ok(headerEnd < arraysStart(bytes), "the sample's header needs padding for this test");
    padding[headerEnd] = 1;
    await refuse(padding, "padding after its header must be zero bytes");
  });

  it("reads arrays at any offset of the caller's buffer", () => {
    const shifted = new Uint8Array(bytes.length + 3);
    shifted.set(bytes, 3);
    assert.deepStrictEqual(decodeBinaryGlobalModel(shifted.subarray(3), "m"), model);
  });
});

describe("binary global model: a task's rounds", function () {
  this.timeout(300_000);
  let fx: FederatedFixture;
  let connection: FlaiConnection;
  let taskId: bigint;
  const roots: string[] = [];

  before(async () => {
    fx = await federatedFixture({ holdout: 3, split: 4 }, 3);
    connection = fx.connection;
    const { fedavg } = fx.hre.flai;
    const created = await fedavg.createTask({
      model: path.join(FIXTURES, "model.json"),
      evaluation: fx.evaluation,
      standardizeOn: fx.shares[0]!,
      rounds: 2,
      quorum: 3,
      reward: "0.3",
      modelFormat: "binary",
      clients: await readersOf(fx.hre, connection, fx.signers.slice(1, 4)),
      connection,
    });
    taskId = created.task.id;
    roots.push(created.initialModelRoot);
    for (let round = 1; round <= 2; round++) {
      for (let i = 0; i < 3; i++) await fedavg.runClient({ taskId, data: fx.shares[i]!, signer: fx.signers[i + 1], connection });
      const agg = await fedavg.aggregate({ taskId, connection });
      assert.equal(agg.accepted.length, 3);
      roots.push(agg.globalRoot);
    }
  });

  it("stores every model of the task in the binary format, chained by hash", async () => {
    let previous: string | null = null;
    for (const [round, root] of roots.entries()) {
      // A private task: what storage holds is sealed; the creator opens it (and it is checked against the on-chain hash).
      const read = await fx.hre.flai.fedavg.readGlobalModel(taskId, { round, connection });
      assert.equal(read.root, root);
      const bytes = read.bytes;
      assert.deepEqual([...bytes.subarray(0, 8)], [...BINARY_MODEL_MAGIC], `round ${round}`);
      const model = parseGlobalModel(bytes, `round ${round}`);
      assert.equal(model.round, round);
      assert.equal(model.federated.modelFormat, "binary");
      assert.equal(model.previousHash, previous);
      assert.ok(Buffer.from(globalModelBytes(model)).equals(bytes), `round ${round} re-encodes to other bytes`);
      previous = sha256(bytes);
    }
    const current = await fx.hre.flai.fedavg.globalModel(taskId, { connection });
    assert.equal(current.round, 2);
    assert.ok(current.metrics!.accuracy > 0.8, `accuracy ${current.metrics!.accuracy}`);
  });

  it("flai:verify re-runs both rounds to byte-identical binary models", async () => {
    const items = await verifyRound(fx.hre, fx.hre.flai, taskId, undefined, { connection });
    const show = (xs: VerifyItem[]) => xs.map((i) => `${i.verdict}: ${i.item}: ${i.detail}`).join("\n");
    assert.equal(overallVerdict(items), "match", show(items));
    for (const round of [1, 2]) {
      const rerun = items.find((i) => i.item === `round ${round}: re-execution`);
      assert.ok(rerun?.detail.includes("byte-identical"), show(items));
    }
  });

  it("a JSON task created next to it keeps JSON models", async () => {
    const created = await fx.hre.flai.fedavg.createTask({
      model: path.join(FIXTURES, "model.json"),
      evaluation: fx.evaluation,
      standardizeOn: fx.shares[0]!,
      rounds: 1,
      quorum: 3,
      reward: "0.1",
      connection,
    });
    const bytes = (await fx.hre.flai.fedavg.readGlobalModel(created.task.id, { round: 0, connection })).bytes;
    const model = parseGlobalModel(bytes, "initial");
    assert.equal(model.federated.modelFormat, undefined);
    assert.equal(Buffer.from(bytes).toString("utf8"), canonicalJson(model) + "\n");
  });
});

describe("binary global model: --model-format on the command line", function () {
  this.timeout(300_000);

  it("flai:fl-run --model-format binary stores the task's models as binary; a wrong value is refused by name", async () => {
    const { project, env } = await pluginProject("flai-binary");
    const refused = await runHardhat(["flai:fl-run", "--model-format", "npy"], { cwd: project, env });
    assert.notEqual(refused.code, 0);
    assert.ok(
      (refused.stdout + refused.stderr).includes('--model-format must be one of json, binary, got "npy"'),
      refused.stdout + refused.stderr,
    );

    // --public: the models are stored in plaintext, so the stored objects are the models themselves (a private
    // task's are sealed; test/federated/private-tasks.test.ts).
    const done = await runHardhat(["flai:fl-run", "--clients", "3", "--rounds", "2", "--model-format", "binary", "--public", "--json"], {
      cwd: project,
      env,
    });
    assert.equal(done.code, 0, done.stdout + done.stderr);
    // The local storage holds every object by root: the three global models are the binary ones.
    const storage = path.join(project, ".flai", "storage");
    const objects = await Promise.all((await readdir(storage)).map((f) => readFile(path.join(storage, f)).catch(() => Buffer.alloc(0))));
    const models = objects.filter((b) => b.length > 8 && b.subarray(0, 8).equals(Buffer.from(BINARY_MODEL_MAGIC)));
    assert.equal(models.length, 3);
    assert.deepEqual(models.map((b) => parseGlobalModel(b, "stored").round).sort(), [0, 1, 2]);
  });
});
