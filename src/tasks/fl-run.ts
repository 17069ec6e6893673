import path from "node:path";

import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { flaiError } from "../errors.js";
import { claimReportFiles, reportStamp, writeReport } from "../federated/report-files.js";
import { renderReportSummary } from "../federated/report-text.js";
import { runSimulation } from "../federated/simulation.js";
import { prewarmWorker } from "../tee/run-worker.js";
import { deprecatedFlagWarning, optionalNumber, optionalText } from "../cli/options.js";
import { Ui } from "../ui.js";

import { resolveData } from "../cli/fl-run-data.js";
import { checkTrimForClients, strategyFromArgs, type StrategyArgs } from "../cli/strategy-args.js";
import { runReportBase } from "../paths.js";

/** flai:fl-run's arguments as src/task-definitions.ts declares them (an option left out is undefined). */
export interface FlRunTaskArguments extends StrategyArgs {
  clients: number;
  rounds: number;
  data?: string;
  dataset?: string;
  test?: string;
  partition: string;
  alpha?: string;
  seed: number;
  reward: string;
  report?: string;
  public: boolean;
  json: boolean;
}

export default async function flRun(args: FlRunTaskArguments, hre: HardhatRuntimeEnvironment) {
  if (args.partition !== "iid" && args.partition !== "dirichlet") {
    throw flaiError(`--partition must be "iid" or "dirichlet", got "${args.partition}".`);
  }
  const alpha = optionalNumber(args.alpha, "--alpha", { min: 0, minExclusive: true, hint: "smaller = more label skew" });
  if (alpha !== undefined && args.partition !== "dirichlet") {
    throw flaiError(
      `--alpha applies to --partition dirichlet only, but the partition is ${args.partition}. Remove --alpha or add --partition dirichlet.`,
    );
  }
  const { strategy, local, rules, modelFormat, deprecated } = strategyFromArgs(args);
  checkTrimForClients(strategy, args.clients);
  const reportOption = optionalText(args.report, "--report");
  const { data, test } = resolveData(args);
  // A run attests the enclave (its task's registration) and aggregates every round: one enclave worker
  // loads both programs now, while the chain, the data and the clients get ready (an idle worker never
  // holds the process).
  prewarmWorker("attest-worker");
  prewarmWorker("../federated/aggregator-worker");
  const ui = new Ui({ json: args.json });
  for (const flag of deprecated) ui.warn(deprecatedFlagWarning(flag));
  const result = await ui.progress("Federated run", (update) =>
    runSimulation(hre, hre.flai, {
      data,
      test,
      clients: args.clients,
      rounds: args.rounds,
      partition: args.partition as "iid" | "dirichlet",
      alpha,
      seed: args.seed,
      strategy,
      rules,
      maxIterations: local.maxIterations,
      proximalMu: local.proximalMu,
      driftCorrection: local.driftCorrection,
      modelFormat,
      reward: args.reward,
      public: args.public,
      onProgress: update,
    }),
  );
  const base = reportOption
    ? path.resolve(reportOption).replace(/\.html?$/i, "")
    : runReportBase(hre.config.paths.root, result.taskId, reportStamp(new Date()));
  const files = await claimReportFiles(base);
  await writeReport(result, files);
  ui.title(`Federated run: task ${result.taskId}, ${result.clients} clients × ${result.rounds.length} rounds on "${result.network}"`);
  for (const line of renderReportSummary(result)) {
    ui.line(`  ${line}`);
  }
  const shown = (file: string) => path.relative(process.cwd(), file);
  ui.ok(`Report written to ${shown(files.html)} (metrics: ${path.basename(files.csv)}, ${path.basename(files.json)})`);
  ui.result({ ...result, reportFile: files.html, reportFiles: files });
}
