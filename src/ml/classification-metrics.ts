import { flaiError } from "../errors.js";

// Classification metrics over class indices 0..K-1 (a Dataset's labels), defined as scikit-learn
// 1.2 defines them so reported numbers can be checked against it (test/reference/classification_metrics.py).

/** Keeps log() finite for confident mistakes; scikit-learn's former default (eps=1e-15). */
export const LOG_LOSS_EPS = 1e-15;

/**
 * Per-row class probabilities, row-major rows × classCount. Binary models may give one column
 * (P(class 1)) instead: see probabilityMatrix.
 */
export interface ProbabilityMatrix {
  rows: number;
  classCount: number;
  values: Float64Array;
}

/** Everything one evaluation of a model on a labelled set reports. */
export interface ClassificationMetrics {
  accuracy: number;
  logLoss: number;
  /** Mean recall over the classes present in the true labels (sklearn's balanced_accuracy_score). */
  balancedAccuracy: number;
  /** Unweighted mean F1 over the classes seen in the true or predicted labels (sklearn's f1_score average="macro"). */
  macroF1: number;
}

/**
 * A rows × classCount matrix from either one: `values.length === rows · classCount`, or, for two
 * classes, one P(class 1) per row (a sigmoid model's output).
 */
export function probabilityMatrix(values: ArrayLike<number>, rows: number, classCount: number): ProbabilityMatrix {
  if (!(Number.isInteger(classCount) && classCount >= 2)) {
    throw flaiError(`probabilityMatrix: a classifier needs at least 2 classes, got ${classCount}.`);
  }
  if (values.length === rows * classCount) return { rows, classCount, values: Float64Array.from(values) };
  if (classCount === 2 && values.length === rows) {
    const out = new Float64Array(rows * 2);
    for (let i = 0; i < rows; i++) {
      out[2 * i] = 1 - values[i]!;
      out[2 * i + 1] = values[i]!;
    }
    return { rows, classCount, values: out };
  }
  throw flaiError(
    `probabilityMatrix: ${values.length} probabilities for ${rows} rows of ${classCount} classes; ` +
      `expected ${rows * classCount}${classCount === 2 ? ` (or ${rows}, one P(class 1) per row)` : ""}.`,
  );
}

/** The most probable class per row; ties go to the lowest index (numpy's argmax, sklearn's predict). */
export function argmaxClasses(p: ProbabilityMatrix): Uint8Array {
  const out = new Uint8Array(p.rows);
  for (let i = 0; i < p.rows; i++) {
    const off = i * p.classCount;
    let best = 0;
    for (let k = 1; k < p.classCount; k++) if (p.values[off + k]! > p.values[off + best]!) best = k;
    out[i] = best;
  }
  return out;
}

/** counts[t][p]: rows of true class t predicted as p. */
export function confusionMatrix(labels: ArrayLike<number>, predicted: ArrayLike<number>, classCount: number): number[][] {
  checkPairs(labels, predicted, "confusionMatrix", "predicted labels");
  const counts = Array.from({ length: classCount }, () => new Array<number>(classCount).fill(0));
  for (let i = 0; i < labels.length; i++) {
    const t = labels[i]!;
    const p = predicted[i]!;
    if (!(t < classCount && p < classCount)) {
      throw flaiError(`confusionMatrix: row ${i} has class ${t < classCount ? p : t}, outside 0..${classCount - 1}.`);
    }
    counts[t]![p]!++;
  }
  return counts;
}

/** Fraction of rows whose predicted class is the true one. */
export function accuracy(labels: ArrayLike<number>, predicted: ArrayLike<number>): number {
  checkPairs(labels, predicted, "accuracy", "predicted labels");
  let hits = 0;
  for (let i = 0; i < labels.length; i++) if (labels[i] === predicted[i]) hits++;
  return hits / labels.length;
}

/** Mean over true classes of the share of that class predicted right; a class absent from the labels is skipped. */
export function balancedAccuracy(labels: ArrayLike<number>, predicted: ArrayLike<number>, classCount: number): number {
  const cm = confusionMatrix(labels, predicted, classCount);
  const recalls: number[] = [];
  cm.forEach((row, k) => {
    const support = sum(row);
    if (support > 0) recalls.push(row[k]! / support);
  });
  return sum(recalls) / recalls.length;
}

/**
 * Mean of per-class F1 = 2·TP / (2·TP + FP + FN) over classes that occur in the true or the
 * predicted labels; a class never predicted scores 0 (sklearn's zero_division default).
 */
export function macroF1(labels: ArrayLike<number>, predicted: ArrayLike<number>, classCount: number): number {
  const cm = confusionMatrix(labels, predicted, classCount);
  const scores: number[] = [];
  for (let k = 0; k < classCount; k++) {
    const tp = cm[k]![k]!;
    const actual = sum(cm[k]!);
    const guessed = sum(cm.map((row) => row[k]!));
    if (actual + guessed > 0) scores.push((2 * tp) / (actual + guessed));
  }
  return sum(scores) / scores.length;
}

/**
 * Mean cross-entropy of the true class: each row's probabilities are clipped to [eps, 1 − eps] and
 * renormalized to sum to 1 first, as sklearn 1.2's log_loss does.
 */
export function logLoss(labels: ArrayLike<number>, p: ProbabilityMatrix, eps = LOG_LOSS_EPS): number {
  if (labels.length !== p.rows) {
    throw flaiError(`logLoss: ${labels.length} labels but ${p.rows} rows of probabilities; they must match one to one.`);
  }
  if (p.rows === 0) throw flaiError("logLoss: there are no samples to score.");
  let total = 0;
  for (let i = 0; i < p.rows; i++) {
    const off = i * p.classCount;
    let rowSum = 0;
    for (let k = 0; k < p.classCount; k++) rowSum += clip(p.values[off + k]!, eps);
    const t = labels[i]!;
    if (!(t < p.classCount)) throw flaiError(`logLoss: row ${i} has class ${t}, outside 0..${p.classCount - 1}.`);
    total -= Math.log(clip(p.values[off + t]!, eps) / rowSum);
  }
  return total / p.rows;
}

/** The class the training labels hold most of (lowest index on ties, as sklearn's DummyClassifier). */
export function majorityClass(trainLabels: ArrayLike<number>, classCount: number): number {
  if (trainLabels.length === 0) throw flaiError("majorityClass: there are no training labels to count.");
  const counts = new Array<number>(classCount).fill(0);
  for (let i = 0; i < trainLabels.length; i++) counts[trainLabels[i]!]!++;
  return counts.indexOf(Math.max(...counts));
}

/**
 * Accuracy on the test labels of always predicting the training data's most frequent class: the
 * floor any model must beat (on 90/10 data a model that never learned anything scores 90%).
 */
export function majorityBaseline(trainLabels: ArrayLike<number>, testLabels: ArrayLike<number>, classCount: number): number {
  const majority = majorityClass(trainLabels, classCount);
  return accuracy(testLabels, new Uint8Array(testLabels.length).fill(majority));
}

/** All of ClassificationMetrics from one probability matrix; predictions are its row argmax. */
export function classificationMetrics(labels: ArrayLike<number>, p: ProbabilityMatrix): ClassificationMetrics {
  const predicted = argmaxClasses(p);
  return {
    accuracy: accuracy(labels, predicted),
    logLoss: logLoss(labels, p),
    balancedAccuracy: balancedAccuracy(labels, predicted, p.classCount),
    macroF1: macroF1(labels, predicted, p.classCount),
  };
}

const sum = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0);
const clip = (x: number, eps: number) => Math.min(Math.max(x, eps), 1 - eps);

function checkPairs(a: ArrayLike<number>, b: ArrayLike<number>, fn: string, what: string): void {
  if (a.length === 0) throw flaiError(`${fn}: there are no samples to score.`);
  if (a.length !== b.length) {
    throw flaiError(`${fn}: ${a.length} labels but ${b.length} ${what}; they must match one to one.`);
  }
}
