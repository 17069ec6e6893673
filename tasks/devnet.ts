import path from "node:path";

import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { useConnection } from "../src/connection.js";
import { serveChain } from "../src/devnet/chain-server.js";
import { startStorageDevnet } from "../src/devnet/storage-devnet.js";
import { chainIdOf, isEphemeral } from "../src/jobs/deployment.js";
import { Ui } from "../src/ui.js";

/**
 * Starts the local 0G storage stand-ins (Flow + Market contracts, one indexer + storage node) next
 * to a chain, and serves until Ctrl-C. Meant for `--network localhost` beside `npx hardhat node`;
 * on the in-process network it also serves that chain over HTTP.
 */
export default async function devnet(args: { port: number; rpcPort: number; json: boolean }, hre: HardhatRuntimeEnvironment) {
  const ui = new Ui({ json: args.json });
  const connection = await useConnection(hre);
  const chainId = await chainIdOf(connection);
  const chain = isEphemeral(connection) ? await serveChain(connection.provider, { port: args.rpcPort }) : undefined;
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
  ui.line();
  ui.line("Use it from hardhat.config.ts:");
  ui.line(`  flai: { storage: { backend: "0g", indexerUrl: "${storage.url}" } }`);
  ui.line("Press Ctrl-C to stop.");
  ui.result({ chainId, chainRpc: chain?.url, indexerUrl: storage.url, flowAddress: storage.flowAddress, marketAddress: storage.marketAddress });
  await new Promise<void>((resolve) => {
    process.once("SIGINT", resolve);
    process.once("SIGTERM", resolve);
  });
  await storage.close();
  await chain?.close();
  ui.ok("devnet stopped");
}
