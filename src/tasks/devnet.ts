import path from "node:path";

import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { useConnection } from "../chain/connection.js";
import { parseId } from "../chain/ids.js";
import { startDevnet, type RunningDevnet } from "../devnet/service.js";
import { Ui } from "../ui.js";

import { sampleModel } from "../cli/market-network.js";

/** flai:devnet's arguments as src/task-definitions.ts declares them (an option left out is undefined). */
export interface DevnetTaskArguments {
  port: number;
  rpcPort: number;
  computePort: number;
  task?: string;
  json: boolean;
}

/**
 * Serves the local 0G stand-ins next to a chain — storage (Flow + Market contracts, indexer +
 * storage node) and compute (the serving contracts + one provider serving a model) — until Ctrl-C.
 * Meant for `--network localhost` beside `npx hardhat node`; on the in-process network it also
 * serves that chain over HTTP.
 */
export default async function devnet(args: DevnetTaskArguments, hre: HardhatRuntimeEnvironment) {
  const task = args.task === undefined ? undefined : parseId(args.task, "task", "--task").toString();
  const ui = new Ui({ json: args.json });
  const connection = await useConnection(hre);
  const running = await startDevnet(hre, connection, {
    port: args.port,
    computePort: args.computePort,
    rpcPort: args.rpcPort,
    model:
      task === undefined
        ? { name: "flai/logistic-regression", load: sampleModel }
        : { name: `flai/federated-task-${task}`, load: () => hre.flai.federated.globalModel(task, { connection, asEnclave: true }) },
  });
  print(ui, running, connection.networkName, task, hre.config.paths.root);
  await stopSignal();
  await running.close();
  ui.ok("devnet stopped");
}

function print(ui: Ui, running: RunningDevnet, networkName: string, task: string | undefined, root: string): void {
  ui.title(`hardhat-flai devnet on network "${networkName}" (chain ${running.chainId})`);
  if (running.chainRpc !== undefined) {
    ui.info("chain RPC", `${running.chainRpc} (in-process chain; gone when this stops)`);
  }
  ui.info("indexer", running.storage.url);
  ui.info("Flow", running.storage.flowAddress);
  ui.info("Market", running.storage.marketAddress);
  const { compute } = running;
  ui.info(
    "0G compute",
    `provider ${compute.providerAddress} at ${compute.url}, serving ${task === undefined ? "the sample model" : `task ${task}'s global model`}`,
  );
  ui.info("serving", `ledger ${compute.contracts.ledger}, inference ${compute.contracts.inference}`);
  const state = path.relative(root, running.stateDir);
  ui.info(
    "state",
    running.ephemeral
      ? `${state} (removed when this stops, with the chain)`
      : `${state} (kept: a restart on this chain serves the same files)`,
  );
  ui.line();
  ui.line("Use it from hardhat.config.ts:");
  ui.line(`  flai: { storage: { backend: "0g", indexerUrl: "${running.storage.url}" } }`);
  ui.line("Market tasks on this network find the compute stand-in by itself (flai:market-compute --network …).");
  ui.line("Press Ctrl-C to stop.");
  ui.result({
    chainId: running.chainId,
    chainRpc: running.chainRpc,
    stateDir: running.stateDir,
    indexerUrl: running.storage.url,
    flowAddress: running.storage.flowAddress,
    marketAddress: running.storage.marketAddress,
    compute: { url: compute.url, provider: compute.providerAddress, contracts: compute.contracts },
  });
}

function stopSignal(): Promise<void> {
  return new Promise<void>((resolve) => {
    const stop = () => {
      process.off("SIGINT", stop);
      process.off("SIGTERM", stop);
      resolve();
    };
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
  });
}
