import { flaiError } from "../errors.js";

/** Keeps log() finite for confident mistakes; the value scikit-learn used (eps=1e-15). */
export const LOG_LOSS_EPS = 1e-15;

/** Fraction of predicted labels equal to the true ones (sklearn's accuracy_score). */
export function accuracy(labels: ArrayLike<number>, predicted: ArrayLike<number>): number {
  checkLengths(labels, predicted, "accuracy", "predicted labels");
  let hits = 0;
  for (let i = 0; i < labels.length; i++) if (labels[i] === predicted[i]) hits++;
  return hits / labels.length;
}

/** Mean binary cross-entropy with P(y = 1) clipped to [eps, 1 − eps] (sklearn's log_loss). */
export function logLoss(labels: ArrayLike<number>, probabilities: ArrayLike<number>, eps = LOG_LOSS_EPS): number {
  checkLengths(labels, probabilities, "logLoss", "probabilities");
  let sum = 0;
  for (let i = 0; i < labels.length; i++) {
    const p = Math.min(Math.max(probabilities[i]!, eps), 1 - eps);
    sum -= labels[i] === 1 ? Math.log(p) : Math.log(1 - p);
  }
  return sum / labels.length;
}

function checkLengths(a: ArrayLike<number>, b: ArrayLike<number>, fn: string, what: string): void {
  if (a.length === 0) throw flaiError(`${fn}: there are no samples to score.`);
  if (a.length !== b.length) {
    throw flaiError(`${fn}: ${a.length} labels but ${b.length} ${what}; they must match one to one.`);
  }
}
