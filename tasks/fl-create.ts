import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { format0G } from "../src/amount.js";
import { optionalWhole, requireOptions } from "../src/task-args.js";
import { Ui } from "../src/ui.js";

import { roundRules } from "../src/fedavg/global-model.js";

import { describeRules, describeStrategy, strategyFromArgs, type StrategyArgs } from "./strategy-args.js";

export default async function flCreate(
  args: StrategyArgs & {
    model?: string;
    evaluation?: string;
    rounds: number;
    quorum: number;
    maxClients?: string;
    roundDuration?: string;
    reward?: string;
    json: boolean;
  },
  hre: HardhatRuntimeEnvironment,
) {
  requireOptions(
    "flai:fl-create",
    args,
    ["model", "evaluation", "reward"],
    "flai:fl-create --model fixtures/model.json --evaluation holdout.json --rounds 5 --quorum 3 --reward 1",
  );
  // FLAIFederated stores the round duration as a uint32.
  const roundDuration = optionalWhole(args.roundDuration, "--round-duration", { min: 1, max: 2 ** 32 - 1, hint: "seconds" });
  // FLAIFederated stores maxClients as a uint16, at least the quorum.
  const maxClients = optionalWhole(args.maxClients, "--max-clients", { min: 1, max: 65535, hint: "updates per round" });
  const { strategy, local, rules } = strategyFromArgs(args);
  const ui = new Ui({ json: args.json });
  const created = await ui.progress("Creating federated task", () =>
    hre.flai.fedavg.createTask({
      model: args.model,
      evaluation: args.evaluation,
      rounds: args.rounds,
      quorum: args.quorum,
      maxClients,
      roundDuration,
      reward: args.reward,
      strategy,
      rules,
      local,
    }),
  );
  const t = created.task;
  ui.ok(`Federated task ${t.id} created: ${t.rounds} rounds, quorum ${t.quorum}, ${describeStrategy(strategy)}`);
  ui.info("reward pool", format0G(t.rewardPool));
  const model = await hre.flai.fedavg.globalModel(t.id);
  const resolved = roundRules(model);
  ui.info("round rules", describeRules(resolved));
  if (t.quorum < resolved.minAccepted) {
    ui.line(`Note: quorum ${t.quorum} is below the minimum of ${resolved.minAccepted} accepted updates: a round is only published once ${resolved.minAccepted} are accepted.`);
  }
  ui.info("global model", `${t.globalRoot} (sha256 ${t.globalHash})`);
  ui.info("evaluation", created.evaluationRoot);
  ui.info("enclave", `${t.enclave} (measurement ${t.measurement}); clients encrypt to its on-chain key`);
  ui.info("round close", `at ${t.maxClients} updates, by the enclave once ${t.quorum} are recorded, or at the deadline`);
  ui.info("tx", `${created.txHash} (gas ${created.gasUsed})`);
  ui.line(`Clients join with: npx hardhat flai:fl-client --task ${t.id} --data <their data file>`);
  ui.result(created);
}
