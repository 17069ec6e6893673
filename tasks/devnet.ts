import { rm } from "node:fs/promises";
import path from "node:path";

import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { useConnection } from "../src/connection.js";
import { serveChain } from "../src/devnet/chain-server.js";
import { startStorageDevnet } from "../src/devnet/storage-devnet.js";
import { chainIdOf, isEphemeral } from "../src/jobs/deployment.js";
import { startComputeDevnet } from "../src/devnet/compute-devnet.js";
import { modelAnswerer } from "../src/devnet/compute/model-answerer.js";
import { computeDevnetRecord } from "../src/market/client.js";
import { Ui } from "../src/ui.js";
import { writeFileAtomic } from "../src/util/fs.js";

import { sampleModel } from "./market-network.js";

/**
 * Starts the local 0G stand-ins next to a chain — storage (Flow + Market contracts, one indexer +
 * storage node) and compute (the serving contracts + one provider serving a model) — until Ctrl-C. Meant for `--network localhost` beside `npx hardhat node`;
 * on the in-process network it also serves that chain over HTTP.
 */
export default async function devnet(
  args: { port: number; rpcPort: number; computePort: number; model: string; json: boolean },
  hre: HardhatRuntimeEnvironment,
) {
  const ui = new Ui({ json: args.json });
  const connection = await useConnection(hre);
  const chainId = await chainIdOf(connection);
  const chain = isEphemeral(connection) ? await serveChain(connection.provider, { port: args.rpcPort }) : undefined;
  // Compute first: on a fresh chain that puts the serving contracts on the SDK's built-in addresses.
  const served = args.model === "" ? await sampleModel() : await hre.flai.fedavg.globalModel(args.model);
  const compute = await startComputeDevnet(connection, {
    model: args.model === "" ? "flai/logistic-regression" : `flai/federated-task-${args.model}`,
    answer: modelAnswerer(served),
    port: args.computePort,
  });
  const record = computeDevnetRecord(hre.config.paths.root, chainId);
  await writeFileAtomic(record, JSON.stringify(compute.contracts, null, 2) + "\n");
  const storage = await startStorageDevnet(connection, {
    dir: path.join(hre.config.paths.root, ".flai", "devnet", `chain-${chainId}`, "storage-node"),
    port: args.port,
  });
  ui.title(`hardhat-flai devnet on network "${connection.networkName}" (chain ${chainId})`);
  if (chain !== undefined) {
    ui.info("chain RPC", `${chain.url} (in-process chain; gone when this stops)`);
  }
  ui.info("indexer+node", storage.url);
  ui.info("Flow", storage.flowAddress);
  ui.info("Market", storage.marketAddress);
  ui.info("0G compute", `provider ${compute.providerAddress} at ${compute.url}, serving ${args.model === "" ? "the sample model" : `task ${args.model}'s global model`}`);
  ui.info("serving", `ledger ${compute.contracts.ledger}, inference ${compute.contracts.inference}`);
  ui.line();
  ui.line("Use it from hardhat.config.ts:");
  ui.line(`  flai: { storage: { backend: "0g", indexerUrl: "${storage.url}" } }`);
  ui.line("Press Ctrl-C to stop.");
  ui.line("Market tasks on this network find the compute stand-in by itself (flai:market-compute --network …).");
  ui.result({
    chainId,
    chainRpc: chain?.url,
    indexerUrl: storage.url,
    flowAddress: storage.flowAddress,
    marketAddress: storage.marketAddress,
    compute: { url: compute.url, provider: compute.providerAddress, contracts: compute.contracts },
  });
  await new Promise<void>((resolve) => {
    process.once("SIGINT", resolve);
    process.once("SIGTERM", resolve);
  });
  await storage.close();
  await compute.close();
  await rm(record, { force: true });
  await chain?.close();
  ui.ok("devnet stopped");
}
