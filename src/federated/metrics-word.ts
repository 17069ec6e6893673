import type { GlobalMetrics } from "./global-model.js";

/**
 * A round's headline metrics packed into the bytes32 the contract emits, so they live on-chain
 * at the cost of one word: five uint32 fields, fixed-point.
 * accuracy (ppm) | log-loss (×1e6) | noise multiplier (×1e3) | ε (×1e3) | clip norm (×1e3)
 */
const SCALES = [1e6, 1e6, 1e3, 1e3, 1e3];
const MAX = 0xffffffff;

export function encodeMetricsWord(m: GlobalMetrics): string {
  const values = [m.accuracy, m.logLoss, m.dp?.noiseMultiplier ?? 0, m.dp?.epsilon ?? 0, m.dp?.clippingNorm ?? 0];
  const hex = values
    .map((v, i) =>
      Math.min(MAX, Math.max(0, Math.round(v * SCALES[i]!)))
        .toString(16)
        .padStart(8, "0"),
    )
    .join("");
  return "0x" + hex.padEnd(64, "0");
}

export interface MetricsWord {
  accuracy: number;
  logLoss: number;
  noiseMultiplier: number;
  epsilon: number;
  clippingNorm: number;
}

export function decodeMetricsWord(word: string): MetricsWord {
  const v = [0, 1, 2, 3, 4].map((i) => parseInt(word.slice(2 + i * 8, 10 + i * 8), 16) / SCALES[i]!);
  return { accuracy: v[0]!, logLoss: v[1]!, noiseMultiplier: v[2]!, epsilon: v[3]!, clippingNorm: v[4]! };
}
