import path from "node:path";

import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { flaiError } from "../src/errors.js";
import { renderReportHtml } from "../src/fedavg/report-html.js";
import { renderReportSummary } from "../src/fedavg/report-text.js";
import { runSimulation } from "../src/fedavg/simulation.js";
import { packageRoot } from "../src/package-root.js";
import { optionalNumber, optionalText } from "../src/task-args.js";
import { Ui } from "../src/ui.js";
import { writeFileAtomic } from "../src/util/fs.js";

import { strategyFromArgs, type StrategyArgs } from "./strategy-args.js";

export default async function flRun(
  args: StrategyArgs & {
    clients: number;
    rounds: number;
    data?: string;
    partition: string;
    alpha?: string;
    seed: number;
    reward: string;
    report?: string;
    json: boolean;
  },
  hre: HardhatRuntimeEnvironment,
) {
  if (args.partition !== "iid" && args.partition !== "dirichlet") {
    throw flaiError(`--partition must be "iid" or "dirichlet", got "${args.partition}".`);
  }
  const alpha = optionalNumber(args.alpha, "--alpha", { min: 0, minExclusive: true, hint: "smaller = more label skew" });
  if (alpha !== undefined && args.partition !== "dirichlet") {
    throw flaiError(`--alpha applies to --partition dirichlet only, but the partition is ${args.partition}. Remove --alpha or add --partition dirichlet.`);
  }
  const { strategy, local, rules } = strategyFromArgs(args);
  const reportOption = optionalText(args.report, "--report");
  const data = optionalText(args.data, "--data") ?? path.join(packageRoot(), "fixtures", "data.json");
  const ui = new Ui({ json: args.json });
  const result = await ui.progress("Federated run", (update) =>
    runSimulation(hre, hre.flai, {
      data,
      clients: args.clients,
      rounds: args.rounds,
      partition: args.partition as "iid" | "dirichlet",
      alpha,
      seed: args.seed,
      strategy,
      rules,
      localIterations: local.maxIterations,
      mu: local.mu,
      reward: args.reward,
      onProgress: update,
    }),
  );
  const report = path.resolve(
    reportOption ?? path.join(hre.config.paths.root, ".flai", "reports", `fl-run-task-${result.taskId}.html`),
  );
  await writeFileAtomic(report, renderReportHtml(result));
  ui.title(`Federated run: task ${result.taskId}, ${result.clients} clients × ${result.rounds.length} rounds on "${result.network}"`);
  for (const line of renderReportSummary(result)) {
    ui.line(`  ${line}`);
  }
  ui.ok(`Report written to ${path.relative(process.cwd(), report)}`);
  ui.result({ ...result, reportFile: report });
}
