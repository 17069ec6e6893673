import { readFileSync } from "node:fs";

import { expect } from "chai";

import {
  accuracy,
  argmaxClasses,
  balancedAccuracy,
  classificationMetrics,
  confusionMatrix,
  logLoss,
  macroF1,
  majorityBaseline,
  majorityClass,
  probabilityMatrix,
} from "../../src/ml/classification-metrics.js";

import { expectFlaiError } from "../helpers/assert.js";

interface ReferenceCase {
  name: string;
  classCount: number;
  labels: number[];
  probabilities: number[][];
  trainLabels: number[];
  expected: { accuracy: number; logLoss: number; balancedAccuracy: number; macroF1: number; majorityBaseline: number };
}

const reference = JSON.parse(readFileSync(new URL("../reference/classification_metrics.json", import.meta.url), "utf8")) as {
  sklearn: string;
  cases: ReferenceCase[];
};

const close = (actual: number, expected: number, tol = 1e-12) => expect(actual).to.be.closeTo(expected, tol);

describe("ml/classification-metrics", () => {
  // Three classes, two rows each; rows 1 and 5 are wrong (true 0 → 1, true 2 → 0).
  const labels = [0, 0, 1, 1, 2, 2];
  const predicted = [0, 1, 1, 1, 2, 0];

  it("counts a confusion matrix by true class, then predicted class", () => {
    expect(confusionMatrix(labels, predicted, 3)).to.deep.equal([
      [1, 1, 0],
      [0, 2, 0],
      [1, 0, 1],
    ]);
  });

  it("accuracy: 4 right of 6", () => {
    close(accuracy(labels, predicted), 4 / 6);
  });

  it("balanced accuracy: mean recall (1/2 + 2/2 + 1/2) / 3", () => {
    close(balancedAccuracy(labels, predicted, 3), 2 / 3);
  });

  it("macro-F1: mean of 2TP/(2TP+FP+FN) = (2/4 + 4/5 + 2/3) / 3", () => {
    close(macroF1(labels, predicted, 3), (0.5 + 0.8 + 2 / 3) / 3);
  });

  it("a class only predicted counts in macro-F1 (as 0) but not in balanced accuracy; one never seen counts in neither", () => {
    // K = 4: class 2 is predicted once but never true, class 3 appears nowhere.
    const t = [0, 0, 1, 1];
    const p = [0, 2, 1, 1];
    close(balancedAccuracy(t, p, 4), (1 / 2 + 1) / 2);
    close(macroF1(t, p, 4), (2 / 3 + 1 + 0) / 3);
  });

  it("log-loss of the true class's probability, from a matrix or (binary) one P(class 1) per row", () => {
    const expected = -(Math.log(0.8) + Math.log(0.6)) / 2;
    close(logLoss([0, 1], probabilityMatrix([0.8, 0.2, 0.4, 0.6], 2, 2)), expected);
    close(logLoss([0, 1], probabilityMatrix([0.2, 0.6], 2, 2)), expected);
  });

  it("log-loss clips certain mistakes to eps = 1e-15 and renormalizes rows", () => {
    close(logLoss([1, 0], probabilityMatrix([1, 0, 0, 1], 2, 2)), -Math.log(1e-15), 1e-9);
    close(logLoss([0], probabilityMatrix([0.3, 0.3], 1, 2)), Math.log(2));
  });

  it("argmax ties go to the lowest class, so P(class 1) = 0.5 predicts class 0 as sklearn does", () => {
    expect(Array.from(argmaxClasses(probabilityMatrix([0.5, 0.7, 0.2], 3, 2)))).to.deep.equal([0, 1, 0]);
    expect(Array.from(argmaxClasses(probabilityMatrix([0.2, 0.4, 0.4, 0.1, 0.1, 0.8], 2, 3)))).to.deep.equal([1, 2]);
  });

  it("majority baseline: the training data's most frequent class, scored on the test labels", () => {
    expect(majorityClass([2, 2, 1, 0], 3)).to.equal(2);
    close(majorityBaseline([2, 2, 1, 0], [0, 1, 2, 2, 2], 3), 3 / 5);
    // A tie between 0 and 1 in training goes to 0.
    expect(majorityClass([1, 0, 0, 1], 2)).to.equal(0);
    close(majorityBaseline([1, 0, 0, 1], [0, 1, 1], 2), 1 / 3);
  });

  it("refuses mismatched lengths, empty input and out-of-range classes, naming what is wrong", async () => {
    await expectFlaiError(() => accuracy([0, 1], [0]), "2 labels but 1 predicted labels");
    await expectFlaiError(() => accuracy([], []), "no samples");
    await expectFlaiError(() => confusionMatrix([0, 3], [0, 1], 3), "row 1 has class 3, outside 0..2");
    await expectFlaiError(() => probabilityMatrix([0.1, 0.2, 0.3], 2, 2), "3 probabilities for 2 rows of 2 classes; expected 4 (or 2");
    await expectFlaiError(() => logLoss([0, 1, 0], probabilityMatrix([0.1, 0.2], 2, 2)), "3 labels but 2 rows");
  });

  describe(`matches scikit-learn ${reference.sklearn} (test/reference/classification_metrics.py)`, () => {
    for (const c of reference.cases) {
      it(c.name, () => {
        const p = probabilityMatrix(c.probabilities.flat(), c.labels.length, c.classCount);
        const m = classificationMetrics(c.labels, p);
        close(m.accuracy, c.expected.accuracy);
        close(m.logLoss, c.expected.logLoss, 1e-12);
        close(m.balancedAccuracy, c.expected.balancedAccuracy);
        close(m.macroF1, c.expected.macroF1);
        close(majorityBaseline(c.trainLabels, c.labels, c.classCount), c.expected.majorityBaseline);
      });
    }
  });
});
