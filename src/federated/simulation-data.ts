import { flaiError } from "../errors.js";
import { readLocalFile } from "../inputs.js";
import { majorityBaseline, majorityClass } from "../ml/classification-metrics.js";
import { parseDataset, type Dataset } from "../ml/dataset.js";
import {
  computeStandardization,
  LOGISTIC_DEFAULTS,
  trainLogisticRegression,
  type LinearModel,
  type Standardization,
} from "../ml/logistic.js";
import { weightsFromJson, type JsonBias, type JsonWeights } from "../ml/parameters.js";

import { evaluateClassifier } from "./evaluate.js";
import type { GlobalModel } from "./global-model.js";
import { holdoutSplit } from "./partition.js";
import type { SimulationResult, TestSetInfo } from "./simulation-types.js";

/** The run's data: what the clients split, and what every model is scored on. */
export interface SimulationData {
  train: Dataset;
  test: Dataset;
  info: TestSetInfo;
}

export const DEFAULT_HOLDOUT_FRACTION = 0.2;

/**
 * The training data and the test set: an external test file when one is given (its classes mapped
 * onto the training data's), else a stratified holdout of the data. The clients never see test rows.
 */
export async function loadSimulationData(opts: {
  data: string | Dataset;
  test?: string | Dataset;
  holdoutFraction?: number;
  seed: number;
}): Promise<SimulationData> {
  const all = await loadDataset(opts.data, "--data");
  if (opts.test === undefined) {
    const fraction = opts.holdoutFraction ?? DEFAULT_HOLDOUT_FRACTION;
    const { train, test } = holdoutSplit(all, fraction, opts.seed);
    return { train, test, info: testInfo(test, "holdout", `${Math.round(fraction * 100)}% of the data, stratified`) };
  }
  const source = typeof opts.test === "string" ? opts.test : "the test set";
  const test = alignClasses(await loadDataset(opts.test, "--test"), all.classes, source);
  if (test.cols !== all.cols) {
    throw flaiError(
      `${source} has ${test.cols} feature column(s) but --data has ${all.cols}; the test set needs the same columns as the training data.`,
    );
  }
  return { train: all, test, info: testInfo(test, "file", source) };
}

async function loadDataset(input: string | Dataset, option: string): Promise<Dataset> {
  return typeof input === "string" ? parseDataset(await readLocalFile(input, option), input) : input;
}

function testInfo(test: Dataset, kind: TestSetInfo["kind"], source: string): TestSetInfo {
  return { kind, source, rows: test.rows, labelCounts: labelCounts(test) };
}

/** Rows per class, in class order. */
export function labelCounts(ds: Dataset): number[] {
  const counts = new Array<number>(ds.classes.length).fill(0);
  for (let i = 0; i < ds.rows; i++) counts[ds.labels[i]!]!++;
  return counts;
}

/**
 * Re-indexes `ds`'s labels onto `classes` (two files parsed apart may number their classes
 * differently, or one may lack a class); a label the training data never has is an error naming it.
 */
export function alignClasses(ds: Dataset, classes: Dataset["classes"], source: string): Dataset {
  const index = new Map(classes.map((c, k) => [String(c), k]));
  const map = ds.classes.map((c) => index.get(String(c)));
  const unknown = ds.classes.filter((_, k) => map[k] === undefined && ds.labels.includes(k));
  if (unknown.length > 0) {
    const row = ds.labels.findIndex((l) => map[l] === undefined);
    throw flaiError(
      `${source} has label ${JSON.stringify(unknown[0])} (data row ${row}) that the training data never has ` +
        `(its classes: ${classes.map((c) => JSON.stringify(c)).join(", ")}). A model cannot be scored on a class it never saw; remove those rows or add the class to the training data.`,
    );
  }
  const labels = Uint8Array.from(ds.labels, (l) => map[l]!);
  return { ...ds, labels, classes: [...classes] };
}

/**
 * The shared feature scaling, fit on the clients' pooled training rows — never on the test set, so
 * no statistic of the data a model is scored on leaks into the model.
 */
export function trainingStandardization(train: Dataset): Standardization {
  return computeStandardization(train);
}

/** What "learned nothing" scores: always the training data's most frequent class. */
export function majorityOf(train: Dataset, test: Dataset): SimulationResult["baseline"] {
  const k = majorityClass(train.labels, train.classes.length);
  return { majorityClass: String(train.classes[k]), accuracy: majorityBaseline(train.labels, test.labels, train.classes.length) };
}

/** Centralized reference options: the same C and scaling as the federation, trained to convergence. */
const referenceFit = (standardization: Standardization | null) => ({
  c: LOGISTIC_DEFAULTS.c,
  maxIterations: 200,
  standardize: standardization !== null,
  standardization: standardization ?? undefined,
});

/** One model on all clients' rows pooled, scored on the test set: what federation aims for. */
export function centralizedReference(train: Dataset, test: Dataset, standardization: Standardization | null) {
  return evaluateClassifier(trainLogisticRegression(train, referenceFit(standardization)), test);
}

/**
 * Each client's model trained on its own share only, scored on the same test set: what a client
 * gets without the federation. A share the trainer refuses (e.g. a single class) predicts its
 * majority class, which is what such a client could do alone.
 */
export function aloneReferences(shares: Dataset[], test: Dataset, standardization: Standardization | null): SimulationResult["alone"] {
  return shares.map((share) => {
    let m;
    try {
      m = evaluateClassifier(trainLogisticRegression(share, referenceFit(standardization)), test);
    } catch {
      const k = majorityClass(share.labels, share.classes.length);
      const predicted = new Uint8Array(test.rows).fill(k);
      const hits = test.labels.reduce((n, l, i) => n + (l === predicted[i] ? 1 : 0), 0);
      const present = new Set(test.labels).size;
      return { accuracy: hits / test.rows, balancedAccuracy: test.labels.includes(k) ? 1 / present : 0 };
    }
    return { accuracy: m.accuracy, balancedAccuracy: m.balancedAccuracy };
  });
}

/** A global model as a LinearModel, binary (weights: number[], bias: number) or multinomial (K rows, K biases). */
export function linearModelOf(global: GlobalModel): LinearModel {
  const p = weightsFromJson(
    global.weights as unknown as JsonWeights,
    global.bias as unknown as JsonBias,
    global.features,
    "the global model",
  );
  return { weights: p.weights, bias: p.outputs === 1 ? p.bias[0]! : p.bias, standardization: global.standardization };
}

/**
 * The test set as the enclave will read it: JSON {features, labels} for 0/1 data (the bytes as
 * before), CSV with a header and the label values otherwise (string classes have no JSON form).
 */
export function evaluationBytes(ds: Dataset): Uint8Array {
  const binary = ds.classes.length === 2 && ds.classes[0] === 0 && ds.classes[1] === 1;
  return new TextEncoder().encode(binary ? datasetJson(ds) : datasetCsv(ds));
}

export function datasetJson(ds: Dataset): string {
  const features: number[][] = [];
  for (let i = 0; i < ds.rows; i++) features.push(Array.from(ds.features.subarray(i * ds.cols, (i + 1) * ds.cols)));
  return JSON.stringify({ features, labels: Array.from(ds.labels) });
}

/** Header (column names, or x0..), then one row per example; numbers print in shortest round-trip form. */
export function datasetCsv(ds: Dataset): string {
  const names = ds.columns ?? Array.from({ length: ds.cols }, (_, j) => `x${j}`);
  const cell = (v: unknown) => (/[",\n\r]/.test(String(v)) ? `"${String(v).replaceAll('"', '""')}"` : String(v));
  const lines = [[...names, "label"].map(cell).join(",")];
  for (let i = 0; i < ds.rows; i++) {
    const row = Array.from(ds.features.subarray(i * ds.cols, (i + 1) * ds.cols), String);
    lines.push([...row, cell(ds.classes[ds.labels[i]!])].join(","));
  }
  return lines.join("\n") + "\n";
}
