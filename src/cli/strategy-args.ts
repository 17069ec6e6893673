import { flaiError } from "../errors.js";
import { BINARY_MODEL_FROM_PARAMETERS, MODEL_FORMATS, type ModelFormat } from "../federated/global-model.js";
import { DEFAULT_DRIFT_CORRECTION, driftCorrectionAllowed, type DriftCorrection } from "../federated/drift-correction.js";
import { MAX_UPDATE_NORM_LIMIT, REWARD_RULES, resolveRules, type RewardRule, type RoundRules } from "../federated/round-rules.js";
import { STRATEGIES, checkConfig, type StrategyConfig, type StrategyName } from "../federated/strategies.js";
import { optionalNumber, optionalWhole, renamedOption, type DeprecatedFlag } from "./options.js";
import { excerpt } from "../util/excerpt.js";

/**
 * The strategy flags shared by flai:fl-create and flai:fl-run; undefined means "not given". Named as
 * Flower names them and as createTask's keys are (clippingNorm ↔ --clipping-norm); the former flags
 * are still read, with a warning (renamedOption).
 */
export interface StrategyArgs {
  strategy: string;
  clippingNorm?: string;
  noiseMultiplier?: string;
  trimFraction?: string;
  maxIterations?: string;
  proximalMu?: string;
  /** fl-create: the total num_examples the creator expects over all clients (round 1's penalty split). */
  expectedNumExamples?: string;
  /** @deprecated --clip: use --clipping-norm. */
  clip?: string;
  /** @deprecated --noise: use --noise-multiplier. */
  noise?: string;
  /** @deprecated --trim: use --trim-fraction. */
  trim?: string;
  /** @deprecated --local-iterations: use --max-iterations. */
  localIterations?: string;
  /** @deprecated --mu: use --proximal-mu. */
  mu?: string;
  /** @deprecated --num-examples (fl-create): use --expected-num-examples. */
  numExamples?: string;
  maxClientShare?: string;
  minAccepted?: string;
  maxUpdateNorm?: string;
  rewardRule?: string;
  /** --no-drift-correction: turn off the drift correction fedavg/fedprox without noise have by default. */
  noDriftCorrection?: boolean;
  /** --model-format json | binary; left out: createTask's default by parameter count. */
  modelFormat?: string;
}

export interface StrategyChoice {
  strategy: StrategyConfig;
  /** Left undefined when not given, so the task's own defaults (see createTask: local iterations, μ 0.01 for fedprox) apply. */
  local: { maxIterations?: number; proximalMu?: number; expectedNumExamples?: number; driftCorrection?: false };
  /** Only the rules given; createTask fills in the rest (round-rules.ts). */
  rules: Partial<RoundRules>;
  /** The task's global model format, when given (createTask picks one by size otherwise). */
  modelFormat?: ModelFormat;
  /** Former flags that were given (read as their new names); the task prints a warning for each. */
  deprecated: DeprecatedFlag[];
}

/** The strategy flags' values, each from its current flag or its deprecated former one. */
function currentFlags(args: StrategyArgs, deprecated: DeprecatedFlag[]) {
  return {
    clippingNorm: renamedOption(args, "clippingNorm", "clip", deprecated),
    noiseMultiplier: renamedOption(args, "noiseMultiplier", "noise", deprecated),
    trimFraction: renamedOption(args, "trimFraction", "trim", deprecated),
    maxIterations: renamedOption(args, "maxIterations", "localIterations", deprecated),
    proximalMu: renamedOption(args, "proximalMu", "mu", deprecated),
    expectedNumExamples: renamedOption(args, "expectedNumExamples", "numExamples", deprecated),
  };
}

/** Local training is L-BFGS with this many iterations at most (as in model specs). */
const MAX_LOCAL_ITERATIONS = 100_000;

/**
 * Every strategy flag parsed and checked against the others, named as the user typed it. A typed
 * value is used as typed or rejected (as "--trim-fraction 0", which would trim nothing), never replaced by a
 * default; a flag that the chosen strategy would ignore is rejected too.
 */
export function strategyFromArgs(args: StrategyArgs): StrategyChoice {
  const name = strategyName(args.strategy);
  const deprecated: DeprecatedFlag[] = [];
  const typed = currentFlags(args, deprecated);
  const clippingNorm = optionalNumber(typed.clippingNorm, "--clipping-norm", {
    min: 0,
    minExclusive: true,
    hint: "the max L2 norm of an update; leave --clipping-norm out for no clipping",
  });
  const noiseMultiplier = optionalNumber(typed.noiseMultiplier, "--noise-multiplier", {
    min: 0,
    minExclusive: true,
    hint: "leave --noise-multiplier out for no DP noise",
  });
  const trimFraction = optionalNumber(typed.trimFraction, "--trim-fraction", {
    min: 0,
    minExclusive: true,
    below: 0.5,
    hint: "the share trimmed from each end; 0 would trim nothing (a plain mean)",
  });
  const maxIterations = optionalWhole(typed.maxIterations, "--max-iterations", { min: 1, max: MAX_LOCAL_ITERATIONS });
  const proximalMu = optionalNumber(typed.proximalMu, "--proximal-mu", { min: 0, hint: "0 turns the proximal term off" });
  const expectedNumExamples = optionalWhole(typed.expectedNumExamples, "--expected-num-examples", {
    min: 1,
    max: Number.MAX_SAFE_INTEGER,
    hint: "the total training rows you expect over all clients",
  });
  onlyWith(name, "trimmed-mean", "--trim-fraction", trimFraction);
  onlyWith(name, "fedprox", "--proximal-mu", proximalMu);
  if (noiseMultiplier !== undefined && clippingNorm === undefined) {
    throw flaiError(
      "--noise-multiplier needs --clipping-norm: the DP noise is scaled to the clipped updates' norm bound. Add --clipping-norm <L2 norm>.",
    );
  }
  const strategy: StrategyConfig = { name };
  if (clippingNorm !== undefined) strategy.clippingNorm = clippingNorm;
  if (noiseMultiplier !== undefined) strategy.noiseMultiplier = noiseMultiplier;
  if (trimFraction !== undefined) strategy.trimFraction = trimFraction;
  checkConfig(strategy);
  const rules = rulesFromArgs(args);
  resolveRules(rules, strategy); // every rule checked now, not after the task's files are uploaded
  const local: StrategyChoice["local"] = { maxIterations, proximalMu };
  if (expectedNumExamples !== undefined) local.expectedNumExamples = expectedNumExamples;
  if (args.noDriftCorrection === true) {
    if (!driftCorrectionAllowed(strategy)) {
      throw flaiError(
        `--no-drift-correction applies to fedavg and fedprox without --noise-multiplier only: with ${describeStrategy(strategy)} drift correction is already off. ` +
          `Remove --no-drift-correction.`,
      );
    }
    local.driftCorrection = false;
  } else if (proximalMu !== undefined && driftCorrectionAllowed(strategy)) {
    // With drift correction on, the clients' proximal term is the correction's (mu 0.2): --proximal-mu would be ignored.
    throw flaiError(
      `--proximal-mu sets FedProx's proximal term, which the default drift correction replaces with its own (mu ${DEFAULT_DRIFT_CORRECTION.mu}). ` +
        `Add --no-drift-correction to train FedProx with --proximal-mu ${typed.proximalMu}, or remove --proximal-mu.`,
    );
  }
  return { strategy, local, rules, modelFormat: modelFormatFromArgs(args.modelFormat), deprecated };
}

function modelFormatFromArgs(value: string | undefined): ModelFormat | undefined {
  if (value === undefined || MODEL_FORMATS.includes(value as ModelFormat)) return value as ModelFormat | undefined;
  throw flaiError(
    `--model-format must be one of ${MODEL_FORMATS.join(", ")}, got ${excerpt(value)} (json: readable text; binary: float64 arrays, ` +
      `much faster for large models). Leave it out to get json below ${BINARY_MODEL_FROM_PARAMETERS.toLocaleString("en-US")} parameters, binary from there.`,
  );
}

/** The round-rule flags; each is named as typed in its error. */
function rulesFromArgs(args: StrategyArgs): Partial<RoundRules> {
  const rules: Partial<RoundRules> = {};
  const share = optionalNumber(args.maxClientShare, "--max-client-share", {
    min: 0,
    minExclusive: true,
    hint: "the most of a round one client may weigh; at most 1",
  });
  if (share !== undefined && share > 1) {
    throw flaiError(
      `--max-client-share must be a number > 0 and ≤ 1 (the most of a round one client may weigh), got "${args.maxClientShare}".`,
    );
  }
  const minAccepted = optionalWhole(args.minAccepted, "--min-accepted", {
    min: 1,
    max: 2 ** 32 - 1,
    hint: "accepted updates per published aggregate",
  });
  const norm = optionalNumber(args.maxUpdateNorm, "--max-update-norm", {
    min: 0,
    minExclusive: true,
    hint: "the largest L2 norm of an accepted update",
  });
  if (norm !== undefined && norm > MAX_UPDATE_NORM_LIMIT) {
    throw flaiError(`--max-update-norm must be a number > 0 and ≤ 1e100 (so no sum of updates can overflow), got "${args.maxUpdateNorm}".`);
  }
  if (args.rewardRule !== undefined && !REWARD_RULES.includes(args.rewardRule as RewardRule)) {
    throw flaiError(`--reward-rule must be one of ${REWARD_RULES.join(", ")}, got "${args.rewardRule}".`);
  }
  if (share !== undefined) rules.maxClientShare = share;
  if (minAccepted !== undefined) rules.minAccepted = minAccepted;
  if (norm !== undefined) rules.maxUpdateNorm = norm;
  if (args.rewardRule !== undefined) rules.rewardRule = args.rewardRule as RewardRule;
  return rules;
}

function strategyName(value: string): StrategyName {
  if (!STRATEGIES.includes(value as StrategyName)) {
    throw flaiError(`--strategy must be one of ${STRATEGIES.join(", ")}, got ${excerpt(value)}.`);
  }
  return value as StrategyName;
}

/** A flag the strategy would silently ignore is an error: the user meant something by it. */
function onlyWith(name: StrategyName, needs: StrategyName, flag: string, value: number | undefined): void {
  if (value !== undefined && name !== needs) {
    throw flaiError(`${flag} applies to --strategy ${needs} only, but the strategy is ${name}. Remove ${flag} or add --strategy ${needs}.`);
  }
}

/** The round rules as fl-create prints them (defaults filled in). */
export function describeRules(r: RoundRules): string {
  return `max client share ${r.maxClientShare}, min ${r.minAccepted} accepted, max update norm ${r.maxUpdateNorm}, ${r.rewardRule} rewards`;
}

export function describeStrategy(s: StrategyConfig): string {
  const parts: string[] = [s.name];
  if (s.trimFraction !== undefined) parts.push(`trim ${s.trimFraction}`);
  if (s.clippingNorm !== undefined) parts.push(`clip ${s.clippingNorm}`);
  if (s.noiseMultiplier !== undefined) parts.push(`noise ×${s.noiseMultiplier}`);
  return parts.join(", ");
}

/** The task's drift correction as fl-create prints it. */
export function describeDriftCorrection(d: DriftCorrection | undefined): string {
  return d === undefined ? "off" : `on (proximal mu ${d.mu}, each client gradient clipped to L2 norm ${d.maxGradientNorm})`;
}

/**
 * A --trim-fraction checked against the number of clients, where that number is known (flai:fl-run): when
 * ⌊trim·n⌋ is 0 the typed fraction trims nothing, and trimmed-mean trims its minimum of one update
 * per end instead — a larger share than typed. Refused there, naming the smallest --trim-fraction that means
 * what it says (issue 15). flai:fl-create cannot know n (it lies between --quorum and --max-clients)
 * and keeps the fraction as typed.
 */
export function checkTrimForClients(strategy: StrategyConfig, clients: number): void {
  const trim = strategy.trimFraction;
  if (trim === undefined || Math.floor(trim * clients) >= 1) return;
  const fix =
    clients >= 3
      ? `Pass --trim-fraction ${(Math.ceil(1000 / clients) / 1000).toFixed(3)} or more, or at least ${Math.ceil(1 / trim)} clients.`
      : `Use at least ${Math.max(3, Math.ceil(1 / trim))} clients (trimming one update per end needs 3 or more).`;
  throw flaiError(
    `--trim-fraction ${trim} with --clients ${clients} trims ⌊${trim}·${clients}⌋ = 0 updates per end, so the trimmed mean would trim ` +
      `its minimum of 1 per end (a share of ${(1 / clients).toFixed(3)}), not what --trim-fraction says. ${fix}`,
  );
}

/**
 * A typed --trim-fraction that trims nothing at the quorum (issue 15): ⌊trim·quorum⌋ = 0, so a round that
 * closes with --quorum updates trims the minimum of one per end — a larger share than typed. The
 * final number of updates is not known here (from the quorum up to --max-clients), so unlike
 * flai:fl-run (which refuses) this is a warning naming the share at the quorum and the fixes.
 */
export function trimWarning(trim: number | undefined, quorum: number, maxClients?: number): string | undefined {
  if (trim === undefined || !(quorum >= 1) || Math.floor(trim * quorum) >= 1) return undefined;
  // The fewest updates for which ⌊trim·n⌋ ≥ 1, as trimCount computes it (the loop absorbs rounding in 1/trim).
  let asTyped = Math.ceil(1 / trim);
  while (Math.floor(trim * asTyped) < 1) asTyped += 1;
  const when =
    maxClients !== undefined && maxClients < asTyped
      ? `it never trims as typed, since --max-clients ${maxClients} caps a round below the ${asTyped} updates that needs`
      : `it trims as typed only in a round that closes with ${asTyped} or more updates`;
  return (
    `--trim-fraction ${trim} with --quorum ${quorum} trims ⌊${trim}·${quorum}⌋ = 0 updates per end in a round that closes at its quorum, ` +
    `so the trimmed mean trims its minimum of 1 per end there (a share of ${(1 / quorum).toFixed(3)}), not what --trim-fraction says; ` +
    `${when}. To get what --trim-fraction says at the quorum, pass --quorum ${Math.max(3, asTyped)} or more (with --max-clients at least that)` +
    // Below 3 updates no share under 0.5 trims one per end, so only a larger quorum helps.
    (quorum >= 3 ? `, or --trim-fraction ${(Math.ceil(1000 / quorum) / 1000).toFixed(3)} or more for this quorum.` : ".")
  );
}
