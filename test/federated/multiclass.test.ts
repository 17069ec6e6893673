import assert from "node:assert/strict";
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";

import { modelParameters } from "../../src/federated/global-model.js";
import { holdoutSplit, partitionDataset } from "../../src/federated/partition.js";
import { parseDataset, type Dataset } from "../../src/ml/dataset.js";

import { expectFlaiError } from "../helpers/assert.js";
import { readersOf } from "../helpers/federated.js";
import { FIXTURES, tempDir, tempProject } from "../helpers/project.js";

const COLUMNS = ["blue", "green", "red", "nir", "swir1", "swir2", "elevation_m"];

/** CSV with a header: the given feature columns (in that order), then "label". */
function csv(
  ds: Dataset,
  order: number[] = Array.from({ length: ds.cols }, (_, j) => j),
  labelOf = (i: number) => String(ds.classes[ds.labels[i]!]),
): string {
  const lines = [[...order.map((j) => COLUMNS[j]!), "label"].join(",")];
  for (let i = 0; i < ds.rows; i++) lines.push([...order.map((j) => String(ds.features[i * ds.cols + j])), labelOf(i)].join(","));
  return lines.join("\n") + "\n";
}

describe("federated rounds on a chain: a 4-class task read from CSV", function () {
  this.timeout(300_000);

  it("clients' CSV files are read with the task's classes and columns (one class is fine); other columns or an unknown label are refused by name", async () => {
    const { hre } = await tempProject();
    const { fedavg, storage } = hre.flai;
    const signers = await (await hre.network.getOrCreate()).ethers.getSigners();
    const all = parseDataset(await readFile(path.join(FIXTURES, "landcover.csv")), "landcover.csv");
    const { train, test } = holdoutSplit(all, 0.25, 3);
    const shares = partitionDataset(train, 3, { scheme: "dirichlet", alpha: 0.3, seed: 4 });
    const classes = ["water", "forest", "cropland", "urban"]; // the spec's order, not the data's sorted one
    const spec = {
      format: "flai-model/v1",
      algorithm: "logistic-regression",
      features: all.cols,
      classes,
      hyperparameters: { c: 1, maxIterations: 100, tolerance: 1e-4, standardize: true },
    };
    const created = await fedavg.createTask({
      model: (await storage.upload(Buffer.from(JSON.stringify(spec)))).root,
      evaluation: (await storage.upload(Buffer.from(csv(test)))).root,
      standardizeOn: train,
      rounds: 1,
      quorum: 3,
      reward: "1",
      clients: await readersOf(hre, await hre.network.getOrCreate(), signers.slice(1, 6)),
    });
    const taskId = created.task.id;
    const initial = await fedavg.globalModel(taskId);
    assert.deepEqual(initial.classes, classes);
    assert.deepEqual(all.columns, COLUMNS);
    assert.deepEqual(initial.schema, { label: "label", columns: COLUMNS, ignore: [], impute: null });
    assert.equal(modelParameters(initial).outputs, 4);

    const dir = await tempDir();
    const file = async (name: string, text: string) => {
      await writeFile(path.join(dir, name), text);
      return path.join(dir, name);
    };
    const swapped = await file("swapped.csv", csv(shares[0]!, [1, 0, 2, 3, 4, 5, 6]));
    await expectFlaiError(() => fedavg.runClient({ taskId, data: swapped, signer: signers[5] }), "swapped.csv", "another order", '"green"');
    const renamed = await file("renamed.csv", csv(shares[0]!).replace("elevation_m", "altitude"));
    await expectFlaiError(
      () => fedavg.runClient({ taskId, data: renamed, signer: signers[5] }),
      "renamed.csv",
      '"elevation_m"',
      '"altitude"',
    );
    const desert = await file(
      "desert.csv",
      csv(shares[0]!, undefined, (i) => (i === 2 ? "desert" : String(shares[0]!.classes[shares[0]!.labels[i]!]))),
    );
    await expectFlaiError(() => fedavg.runClient({ taskId, data: desert, signer: signers[5] }), '"desert"');

    for (let k = 0; k < 3; k++)
      await fedavg.runClient({ taskId, data: await file(`client-${k}.csv`, csv(shares[k]!)), signer: signers[k + 1] });
    // A client whose file holds one class only (its CSV names no other) takes part like any other.
    const waterRows = Array.from({ length: train.rows }, (_, i) => i)
      .filter((i) => train.classes[train.labels[i]!] === "water")
      .slice(0, 40);
    const water = await file(
      "water-only.csv",
      [
        [...COLUMNS, "label"].join(","),
        ...waterRows.map((i) => [...train.features.subarray(i * train.cols, (i + 1) * train.cols)].join(",") + ",water"),
      ].join("\n") + "\n",
    );
    await fedavg.runClient({ taskId, data: water, signer: signers[4] });
    const agg = await fedavg.aggregate({ taskId });
    assert.equal(agg.accepted.length, 4, JSON.stringify(agg.rejected));
    const model = await fedavg.globalModel(taskId);
    assert.equal((model.weights as number[][]).length, 4);
    assert.equal((model.bias as number[]).length, 4);
    // Four imbalanced classes: one round from zero weights already beats the majority class (38%).
    assert.ok(agg.metrics.accuracy > 0.6, `accuracy ${agg.metrics.accuracy}`);
  });

  it("a federated spec that imputes missing cells with means is refused: the means would come from the evaluation set", async () => {
    const { hre } = await tempProject();
    const { fedavg, storage } = hre.flai;
    const spec = {
      format: "flai-model/v1",
      algorithm: "logistic-regression",
      features: 7,
      impute: "mean",
      hyperparameters: { c: 1, maxIterations: 100, tolerance: 1e-4, standardize: true },
    };
    const model = (await storage.upload(Buffer.from(JSON.stringify(spec)))).root;
    const evaluation = (await storage.upload(path.join(FIXTURES, "landcover-test.csv"))).root;
    await expectFlaiError(
      () => fedavg.createTask({ model, evaluation, rounds: 1, quorum: 1, reward: "1" }),
      'cannot use "impute": "mean"',
      "evaluation set",
    );
  });
});
