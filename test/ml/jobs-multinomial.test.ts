import { readFileSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import path from "node:path";

import { expect } from "chai";
import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import type { FlaiConnection } from "../../src/chain/connection.js";
import { argmaxClasses, accuracy } from "../../src/ml/classification-metrics.js";
import { parseDataset } from "../../src/ml/dataset.js";
import { weightsFromJson } from "../../src/ml/parameters.js";
import { predictClassProba } from "../../src/ml/predict.js";
import { checkSchema, schemaOptions } from "../../src/ml/schema.js";
import { verifyJob } from "../../src/verify/jobs.js";

import { expectFlaiError } from "../helpers/assert.js";
import { FIXTURES, jobsProject, tempDir } from "../helpers/project.js";

// scikit-learn 1.2.1 on the same data and defaults: test/reference/landcover.py wrote landcover.json.
const reference = JSON.parse(readFileSync(path.resolve(import.meta.dirname, "..", "reference", "landcover.json"), "utf8")) as {
  classes: string[];
  trainAccuracy: number;
  testAccuracy: number;
};
const DATA = path.join(FIXTURES, "landcover.csv");
const TEST = path.join(FIXTURES, "landcover-test.csv");
const SPEC = { format: "flai-model/v1", algorithm: "logistic-regression", features: 7, classes: reference.classes, label: "label" };

describe("compute job: multinomial training on string-labelled CSV (land cover)", function () {
  this.timeout(120_000);
  let hre: HardhatRuntimeEnvironment;
  let connection: FlaiConnection;
  let dir: string;

  before(async () => {
    ({ hre, connection } = await jobsProject());
    dir = await tempDir("flai-multinomial-");
  });

  async function specFile(name: string, spec: object): Promise<string> {
    const file = path.join(dir, name);
    await writeFile(file, JSON.stringify(spec));
    return file;
  }

  it("trains 4 classes in the enclave like scikit-learn (accuracy within 0.5 point, train and test)", async () => {
    const model = await specFile("model.json", SPEC);
    const submitted = await hre.flai.jobs.submit({ data: DATA, model, reward: "0.01", public: true, connection });
    const result = await hre.flai.jobs.train(submitted.job.id, { connection });
    const trained = result.model!;
    expect(trained.classes).to.deep.equal(reference.classes);
    expect(trained.schema?.columns).to.deep.equal(["blue", "green", "red", "nir", "swir1", "swir2", "elevation_m"]);
    expect(Math.abs(trained.training.accuracy - reference.trainAccuracy)).to.be.at.most(0.005);

    // Prediction reads the test file by the trained model's schema and classes.
    const test = parseDataset(readFileSync(TEST), "landcover-test.csv", schemaOptions(trained.schema!, trained.classes));
    checkSchema(trained.schema!, test, "landcover-test.csv");
    const { weights, bias } = weightsFromJson(trained.weights, trained.bias, trained.features);
    const p = predictClassProba({ weights, bias, standardization: trained.standardization }, test.features, test.rows, test.cols);
    expect(Math.abs(accuracy(test.labels, argmaxClasses(p)) - reference.testAccuracy)).to.be.at.most(0.005);

    // flai:verify re-executes the training outside the enclave and gets the same bytes.
    await hre.flai.jobs.complete(result, { connection });
    const items = await verifyJob(hre, hre.flai, submitted.job.id, { connection });
    const reExecution = items.find((entry) => entry.item === "re-execution");
    expect(reExecution?.verdict, reExecution?.detail).to.equal("match");
  });

  it("verify re-reads the data through the spec's schema: a named label column, an ignored ID, imputed cells", async () => {
    // Without the spec's schema the verifier would read this file differently from the enclave and
    // report a false mismatch (no column called label, an ID column, missing cells).
    const lines = readFileSync(DATA, "utf8").trim().split("\n").slice(0, 400);
    const rows = lines.slice(1).map((line, i) => {
      const cells = line.split(",");
      if (i % 37 === 5) cells[2] = "";
      return [`plot-${i + 1}`, ...cells].join(",");
    });
    const data = path.join(dir, "schema.csv");
    await writeFile(data, [`plot_id,${lines[0]!.replace(/,label$/, ",cover")}`, ...rows].join("\n") + "\n");
    const model = await specFile("schema.json", { ...SPEC, label: "cover", ignore: ["plot_id"], impute: "mean" });
    const submitted = await hre.flai.jobs.submit({ data, model, reward: "0.01", public: true, connection });
    const result = await hre.flai.jobs.train(submitted.job.id, { connection });
    expect(result.model!.schema?.label).to.equal("cover");
    await hre.flai.jobs.complete(result, { connection });
    const items = await verifyJob(hre, hre.flai, submitted.job.id, { connection });
    const reExecution = items.find((entry) => entry.item === "re-execution");
    expect(reExecution?.verdict, reExecution?.detail).to.equal("match");
  });

  it("refuses before paying: a label outside the spec's classes, a class without rows (both named)", async () => {
    const three = await specFile("three.json", { ...SPEC, classes: ["cropland", "forest", "water"] });
    await expectFlaiError(
      () => hre.flai.jobs.submit({ data: DATA, model: three, reward: "0.01", connection }),
      "landcover.csv",
      '"urban"',
      "data row",
    );
    const five = await specFile("five.json", { ...SPEC, classes: [...reference.classes, "snow"] });
    await expectFlaiError(() => hre.flai.jobs.submit({ data: DATA, model: five, reward: "0.01", connection }), "landcover.csv", '"snow"');
  });
});
