import { flaiError } from "../src/errors.js";
import { STRATEGIES, checkConfig, type StrategyConfig, type StrategyName } from "../src/fedavg/strategies.js";

export interface StrategyArgs {
  strategy: string;
  clip: number;
  noise: number;
  trim: number;
}

/** The strategy flags shared by flai:fl-create and flai:fl-run; 0 means "not set". */
export function strategyFromArgs(args: StrategyArgs): StrategyConfig {
  if (!STRATEGIES.includes(args.strategy as StrategyName)) {
    throw flaiError(`--strategy must be one of ${STRATEGIES.join(", ")}, got "${args.strategy}".`);
  }
  const config: StrategyConfig = { name: args.strategy as StrategyName };
  if (args.clip !== 0) config.clipNorm = args.clip;
  if (args.noise !== 0) config.noiseMultiplier = args.noise;
  if (args.trim !== 0) config.trimFraction = args.trim;
  checkConfig(config);
  return config;
}

export function describeStrategy(s: StrategyConfig): string {
  const parts: string[] = [s.name];
  if (s.trimFraction !== undefined) parts.push(`trim ${s.trimFraction}`);
  if (s.clipNorm !== undefined) parts.push(`clip ${s.clipNorm}`);
  if (s.noiseMultiplier !== undefined) parts.push(`noise ×${s.noiseMultiplier}`);
  return parts.join(", ");
}
