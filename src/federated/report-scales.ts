// Axis ranges taken from each metric's meaningful scale, never from the data's min..max alone: a
// 1e-5 wobble of log-loss drawn on a min..max axis looks like a cliff. Shared by the terminal
// sparklines and the HTML charts so both tell the same story.

/** A closed interval [min, max] on a metric's axis. */
export interface Range {
  min: number;
  max: number;
}

/**
 * Accuracy-like scores (accuracy, balanced accuracy, macro-F1) as fractions: up to 1, down to the
 * lowest of the data and the `floor` worth comparing against (the majority baseline or chance),
 * rounded down to a multiple of 0.1 — the span from "learned nothing" to "perfect".
 */
export function scoreRange(values: readonly number[], floor: number): Range {
  const lowest = Math.min(floor, ...values.filter(Number.isFinite));
  return { min: Math.max(0, Math.floor(lowest * 10 + 1e-9) / 10), max: 1 };
}

/**
 * Log-loss from 0 (certain and right) to at least ln K, the loss of a uniform guess over K classes,
 * or the largest finite value if a model did worse than guessing.
 */
export function lossRange(values: readonly number[], classCount: number): Range {
  const finite = values.filter(Number.isFinite);
  return { min: 0, max: Math.max(Math.log(Math.max(2, classCount)), ...finite) };
}

/** 0 up to the largest value (ε grows with rounds; 0 is where "no privacy spent" sits). */
export function zeroBasedRange(values: readonly number[]): Range {
  const finite = values.filter(Number.isFinite);
  const max = Math.max(0, ...finite);
  return { min: 0, max: max > 0 ? max : 1 };
}

/** Uniform classes' accuracy, 1/K: the floor when no training labels are known. */
export const chance = (classCount: number) => 1 / Math.max(2, classCount);

export interface Axis extends Range {
  ticks: number[];
  label: (v: number) => string;
}

/**
 * Round-number ticks (1, 2, 2.5 or 5 × 10^k) covering `range`; the top grows to the next tick so the
 * highest value sits under a labelled line (ε 13.8 gets an axis up to 15, not one ending unlabelled).
 */
export function niceAxis(range: Range, scale = 1, unit = ""): Axis {
  const span = range.max - range.min || Math.abs(range.max) || 1;
  const raw = span / 5;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const mantissa = [1, 2, 2.5, 5, 10].find((m) => m * mag >= raw - 1e-12)!;
  const step = mantissa * mag;
  const top = Math.ceil(range.max / step - 1e-9) * step;
  const ticks: number[] = [];
  // Multiplying (not accumulating) keeps float drift out of the labels.
  for (let i = Math.ceil(range.min / step - 1e-9); i * step <= top + step * 1e-9; i++) ticks.push(i * step);
  const decimals = Math.max(0, -Math.floor(Math.log10(step * scale)) + (Number.isInteger(mantissa) ? 0 : 1));
  return { min: range.min, max: top > range.min ? top : range.min + span, ticks, label: (v) => `${(v * scale).toFixed(decimals)}${unit}` };
}
