import path from "node:path";

import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { flaiError } from "../src/errors.js";
import { renderReportHtml } from "../src/fedavg/report-html.js";
import { renderReportSummary } from "../src/fedavg/report-text.js";
import { runSimulation } from "../src/fedavg/simulation.js";
import { packageRoot } from "../src/package-root.js";
import { Ui } from "../src/ui.js";
import { writeFileAtomic } from "../src/util/fs.js";

import { strategyFromArgs, type StrategyArgs } from "./strategy-args.js";

export default async function flRun(
  args: StrategyArgs & {
    clients: number;
    rounds: number;
    data: string;
    partition: string;
    alpha: number;
    seed: number;
    localIterations: number;
    mu: number;
    reward: string;
    report: string;
    json: boolean;
  },
  hre: HardhatRuntimeEnvironment,
) {
  if (args.partition !== "iid" && args.partition !== "dirichlet") {
    throw flaiError(`--partition must be "iid" or "dirichlet", got "${args.partition}".`);
  }
  const ui = new Ui({ json: args.json });
  const data = args.data === "" ? path.join(packageRoot(), "fixtures", "data.json") : args.data;
  const result = await ui.progress("Federated run", (update) =>
    runSimulation(hre, hre.flai, {
      data,
      clients: args.clients,
      rounds: args.rounds,
      partition: args.partition as "iid" | "dirichlet",
      alpha: args.alpha === 0 ? undefined : args.alpha,
      seed: args.seed,
      strategy: strategyFromArgs(args),
      localIterations: args.localIterations === 0 ? undefined : args.localIterations,
      mu: args.mu === 0 ? undefined : args.mu,
      reward: args.reward,
      onProgress: update,
    }),
  );
  const report = path.resolve(
    args.report !== "" ? args.report : path.join(hre.config.paths.root, ".flai", "reports", `fl-run-task-${result.taskId}.html`),
  );
  await writeFileAtomic(report, renderReportHtml(result));
  ui.title(`Federated run: task ${result.taskId}, ${result.clients} clients × ${result.rounds.length} rounds on "${result.network}"`);
  for (const line of renderReportSummary(result)) {
    ui.line(`  ${line}`);
  }
  ui.ok(`Report written to ${path.relative(process.cwd(), report)}`);
  ui.result({ ...result, reportFile: report });
}
