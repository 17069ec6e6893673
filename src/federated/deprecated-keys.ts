import { flaiError } from "../errors.js";

import type { DriftCorrection } from "./drift-correction.js";
import type { StrategyConfig } from "./strategies.js";

// createTask's option keys follow Flower's names (clipping_norm, proximal_mu). Users' scripts may
// still pass the former keys: each is read as its new key, with a warning, and giving both is an
// error (two values for one setting, and neither can be assumed to be the one meant).

/** A task's strategy as createTask takes it: StrategyConfig plus the former key of clippingNorm. */
export interface StrategyUserConfig extends StrategyConfig {
  /** @deprecated Use `clippingNorm` (Flower's clipping_norm); still read, with a warning. */
  clipNorm?: number;
}

/**
 * Clients' local training as createTask takes it: L-BFGS iterations per round (default 3), FedProx's
 * proximal μ, the total num_examples the creator expects over all clients (round 1's L2 penalty
 * split), and the drift correction (left out = on for fedavg/fedprox without DP noise, false = off,
 * true or { mu, maxGradientNorm } = on; drift-correction.ts).
 */
export interface LocalTrainingOptions {
  maxIterations?: number;
  /** FedProx's proximal term μ (Flower's proximal_mu); default 0.01 for fedprox. */
  proximalMu?: number;
  /** @deprecated Use `proximalMu` (Flower's proximal_mu); still read, with a warning. */
  mu?: number;
  expectedNumExamples?: number;
  driftCorrection?: boolean | DriftCorrection;
}

/** A former key that was given, and the key it was read as. */
export interface DeprecatedKey {
  old: string;
  new: string;
}

export interface ResolvedTaskKeys {
  strategy: StrategyConfig | undefined;
  local: Omit<LocalTrainingOptions, "mu"> | undefined;
  /** The former keys given (each read as its new key); the caller warns about them. */
  deprecated: DeprecatedKey[];
}

/**
 * createTask's strategy and local options with every former key read as its new one. Pure: it
 * neither prints nor reads anything, so the caller decides where the warning goes.
 */
export function resolveDeprecatedKeys(strategy: StrategyUserConfig | undefined, local: LocalTrainingOptions | undefined): ResolvedTaskKeys {
  const deprecated: DeprecatedKey[] = [];
  let resolvedStrategy: StrategyConfig | undefined = strategy;
  if (strategy !== undefined && strategy.clipNorm !== undefined) {
    const { clipNorm, ...rest } = strategy;
    resolvedStrategy = { ...rest, clippingNorm: pick("strategy.clippingNorm", rest.clippingNorm, "strategy.clipNorm", clipNorm) };
    deprecated.push({ old: "strategy.clipNorm", new: "strategy.clippingNorm" });
  }
  let resolvedLocal: ResolvedTaskKeys["local"] = local;
  if (local !== undefined && local.mu !== undefined) {
    const { mu, ...rest } = local;
    resolvedLocal = { ...rest, proximalMu: pick("local.proximalMu", rest.proximalMu, "local.mu", mu) };
    deprecated.push({ old: "local.mu", new: "local.proximalMu" });
  }
  return { strategy: resolvedStrategy, local: resolvedLocal, deprecated };
}

function pick(newKey: string, newValue: number | undefined, oldKey: string, oldValue: number): number {
  if (newValue !== undefined) {
    throw flaiError(
      `createTask was given both ${newKey} (${newValue}) and ${oldKey} (${oldValue}), which set the same thing ` +
        `(${oldKey} is its former name). Keep ${newKey} only.`,
    );
  }
  return oldValue;
}

/** Former keys already warned about in this process: a script creating many tasks is told once. */
const warned = new Set<string>();

/** One warning per former key per process, on stderr (createTask has no ui of its own). */
export function warnDeprecatedKeys(keys: readonly DeprecatedKey[], warn: (line: string) => void = (line) => console.warn(line)): void {
  for (const key of keys) {
    if (warned.has(key.old)) continue;
    warned.add(key.old);
    warn(`Warning: createTask option ${key.old} is deprecated; use ${key.new} (it was read as ${key.new}).`);
  }
}
