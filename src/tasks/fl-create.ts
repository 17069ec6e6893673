import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { format0G } from "../chain/amount.js";
import { flaiError } from "../errors.js";
import { deprecatedFlagWarning, optionalText, optionalWhole, requireOptions } from "../cli/options.js";
import { Ui } from "../ui.js";

import { roundRules } from "../federated/global-model.js";

import {
  describeDriftCorrection,
  describeRules,
  describeStrategy,
  strategyFromArgs,
  trimWarning,
  type StrategyArgs,
} from "../cli/strategy-args.js";
import { MAX_CLIENTS, MAX_ROUND_DURATION_SECONDS } from "../limits.js";

/** flai:fl-create's arguments as src/task-definitions.ts declares them (an option left out is undefined). */
export interface FlCreateTaskArguments extends StrategyArgs {
  model?: string;
  test?: string;
  /** The former name of --test, still read. */
  evaluation?: string;
  rounds: number;
  quorum: number;
  maxClients?: string;
  roundDuration?: string;
  reward?: string;
  enclave?: string;
  standardizeOn?: string;
  clients?: string;
  public: boolean;
  json: boolean;
}

export default async function flCreate(args: FlCreateTaskArguments, hre: HardhatRuntimeEnvironment) {
  // Checked as one: a missing --test is named with the other missing options.
  const files = { model: args.model, test: heldOutFile(args), reward: args.reward };
  requireOptions(
    "flai:fl-create",
    files,
    ["model", "test", "reward"],
    "flai:fl-create --model fixtures/model.json --test holdout.json --standardize-on client-sample.json --rounds 5 --quorum 3 --reward 1",
  );
  // FLAIFederated's fields (src/limits.ts); maxClients is at least the quorum (checked by createTask).
  const roundDuration = optionalWhole(args.roundDuration, "--round-duration", { min: 1, max: MAX_ROUND_DURATION_SECONDS, hint: "seconds" });
  const maxClients = optionalWhole(args.maxClients, "--max-clients", { min: 1, max: MAX_CLIENTS, hint: "updates per round" });
  const { strategy, local, rules, modelFormat, deprecated } = strategyFromArgs(args);
  // Another machine's enclave (its host ran flai:enclave --register); when left out, this machine's.
  const enclave = optionalText(args.enclave, "--enclave");
  const ui = new Ui({ json: args.json });
  // Shown before anything is sent, so the creator can stop and retype; also kept in the --json result.
  const warning = trimWarning(strategy.trimFraction, args.quorum, maxClients);
  if (warning !== undefined) ui.warn(`Warning: ${warning}`);
  for (const flag of deprecated) ui.warn(deprecatedFlagWarning(flag));
  if (args.evaluation !== undefined) ui.warn("Note: --evaluation is the former name of --test; use --test <file>.");
  const created = await ui.progress("Creating federated task", () =>
    hre.flai.federated.createTask({
      model: files.model,
      evaluation: files.test,
      rounds: args.rounds,
      quorum: args.quorum,
      maxClients,
      roundDuration,
      reward: files.reward,
      strategy,
      rules,
      local,
      enclave,
      modelFormat,
      standardizeOn: optionalText(args.standardizeOn, "--standardize-on"),
      public: args.public,
      clients: clientsOf(args),
    }),
  );
  const t = created.task;
  ui.ok(`Federated task ${t.id} created: ${t.rounds} rounds, quorum ${t.quorum}, ${describeStrategy(strategy)}`);
  ui.info("reward pool", format0G(t.rewardPool));
  const model = await hre.flai.federated.globalModel(t.id); // the creator is a reader of its private task
  const resolved = roundRules(model);
  ui.info("round rules", describeRules(resolved));
  ui.info("drift correction", describeDriftCorrection(model.federated.local.driftCorrection));
  if (t.quorum < resolved.minAccepted) {
    ui.line(
      `Note: quorum ${t.quorum} is below the minimum of ${resolved.minAccepted} accepted updates: a round is only published once ${resolved.minAccepted} are accepted.`,
    );
  }
  ui.info("global model", `${t.globalRoot} (sha256 ${t.globalHash}), ${model.federated.modelFormat ?? "json"}`);
  printPrivacy(ui, created);
  ui.info("evaluation", created.private ? `${created.evaluationRoot} (the test set, encrypted with the task key)` : created.evaluationRoot);
  ui.info("enclave", `${t.enclave} (measurement ${t.measurement}); clients encrypt to its on-chain key`);
  ui.info("round close", `at ${t.maxClients} updates, by the enclave once ${t.quorum} are recorded, or at the deadline`);
  ui.info("tx", `${created.txHash} (gas ${created.gasUsed})`);
  // What every participant needs besides its own key and data: the network, the addresses, the task id.
  const deployment = await hre.flai.jobs.deployment();
  const addresses = { jobs: deployment.address, federated: t.contract };
  ui.line(
    `Participants set in hardhat.config.ts: flai: { deployments: { "${t.networkName}": ` +
      `{ jobs: "${addresses.jobs}", federated: "${addresses.federated}" } } }`,
  );
  ui.line(`Clients join with: npx hardhat flai:fl-client --task ${t.id} --data <their data file> --network ${t.networkName}`);
  if (created.private) ui.line(admitHint(t.id, t.networkName));
  ui.result({
    taskId: t.id,
    network: t.networkName,
    chainId: t.chainId,
    deployments: { [t.networkName]: addresses },
    ...created,
    ...(warning === undefined ? {} : { warning }),
  });
}

/** Who reads the task's models: its readers and keyring (private), or anyone (--public). */
function printPrivacy(ui: Ui, created: { private: boolean; admitted: string[]; keyringRoot?: string }): void {
  ui.info(
    "privacy",
    created.private
      ? `private: models and test set encrypted with the task key; readers ${created.admitted.join(", ")} (keyring ${created.keyringRoot}); more with flai:fl-admit`
      : "public (--public): models stored in plaintext, readable by anyone",
  );
}

/** How other clients of a private task get admitted. */
function admitHint(taskId: bigint, networkName: string): string {
  return (
    `Other clients first register their reader key (npx hardhat flai:reader-key --register), then the creator admits them: ` +
    `npx hardhat flai:fl-admit --task ${taskId} --clients <address> --network ${networkName}`
  );
}

/** --clients 0xA,0xB (a private task's readers at creation); --public has no readers to admit. */
function clientsOf(args: { clients?: string; public: boolean }): string[] {
  const clients = (optionalText(args.clients, "--clients") ?? "").split(",").filter((c) => c.trim() !== "");
  if (args.public && clients.length > 0) {
    throw flaiError(
      `--clients admits readers to a private task's models, but --public stores them in plaintext for anyone. Remove --clients or --public.`,
    );
  }
  return clients;
}

/** The held-out file the enclave evaluates on: --test, or its former name --evaluation (not both). */
function heldOutFile(args: { test?: string; evaluation?: string }): string | undefined {
  if (args.test !== undefined && args.evaluation !== undefined) {
    throw flaiError(
      `flai:fl-create was given both --test (${args.test}) and --evaluation (${args.evaluation}), which name the same held-out file ` +
        `(--evaluation is its former name). Pass --test <file> only.`,
    );
  }
  return args.test ?? args.evaluation;
}
