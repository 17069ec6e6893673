import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { format0G } from "../src/amount.js";
import { flaiError } from "../src/errors.js";
import { Ui } from "../src/ui.js";

import { describeStrategy, strategyFromArgs, type StrategyArgs } from "./strategy-args.js";

export default async function flCreate(
  args: StrategyArgs & {
    model: string;
    evaluation: string;
    rounds: number;
    quorum: number;
    roundDuration: number;
    reward: string;
    localIterations: number;
    mu: number;
    json: boolean;
  },
  hre: HardhatRuntimeEnvironment,
) {
  for (const name of ["model", "evaluation", "reward"] as const) {
    if (args[name] === "") {
      throw flaiError(
        `flai:fl-create needs --${name}. Example: npx hardhat flai:fl-create --model fixtures/model.json ` +
          `--evaluation holdout.json --rounds 5 --quorum 3 --reward 1`,
      );
    }
  }
  const ui = new Ui({ json: args.json });
  const strategy = strategyFromArgs(args);
  const created = await ui.progress("Creating federated task", () =>
    hre.flai.fedavg.createTask({
      model: args.model,
      evaluation: args.evaluation,
      rounds: args.rounds,
      quorum: args.quorum,
      roundDuration: args.roundDuration === 0 ? undefined : args.roundDuration,
      reward: args.reward,
      strategy,
      local: { maxIterations: args.localIterations === 0 ? undefined : args.localIterations, mu: args.mu === 0 ? undefined : args.mu },
    }),
  );
  const t = created.task;
  ui.ok(`Federated task ${t.id} created: ${t.rounds} rounds, quorum ${t.quorum}, ${describeStrategy(strategy)}`);
  ui.info("reward pool", format0G(t.rewardPool));
  ui.info("global model", `${t.globalRoot} (sha256 ${t.globalHash})`);
  ui.info("evaluation", created.evaluationRoot);
  ui.info("enclave", `measurement ${t.measurement}`);
  ui.info("tx", `${created.txHash} (gas ${created.gasUsed})`);
  ui.line(`Clients join with: npx hardhat flai:fl-client --task ${t.id} --data <their data file>`);
  ui.result(created);
}
