import path from "node:path";

import { runSimulation } from "../../src/federated/simulation.js";

import { FIXTURES, tempProject } from "./project.js";

export type Phase = "setup" | "update" | "aggregate" | "claim";

export interface RpcCounts {
  clients: number;
  rounds: number;
  /** Requests per phase, by JSON-RPC method. */
  byPhase: Record<Phase, Record<string, number>>;
  perUpdate: number;
  perAggregation: number;
  perClaim: number;
}

/**
 * One fl-run (runSimulation on the sample data, fedavg, IID) on a fresh in-process chain with every
 * JSON-RPC request counted by method and phase. The count wraps the connection's EIP-1193 provider,
 * which every part sends through (ethers signers and providers, storage, Hardhat's own request
 * handlers that fill in gas and fees); phases follow the run's progress messages.
 */
export async function countFlRunRequests(clients: number, rounds: number): Promise<RpcCounts> {
  const { hre } = await tempProject();
  const connection = await hre.network.create();
  const byPhase: RpcCounts["byPhase"] = { setup: {}, update: {}, aggregate: {}, claim: {} };
  let phase: Phase = "setup";
  const provider = connection.provider as { request: (args: { method: string; params?: unknown }) => Promise<unknown> };
  const request = provider.request.bind(provider);
  provider.request = (args) => {
    const counts = byPhase[phase];
    counts[args.method] = (counts[args.method] ?? 0) + 1;
    return request(args);
  };
  await runSimulation(hre, hre.flai, {
    data: path.join(FIXTURES, "data.json"),
    clients,
    rounds,
    partition: "iid",
    seed: 1,
    strategy: { name: "fedavg" },
    reward: "1",
    connection,
    onProgress: (message) => {
      if (/references/.test(message)) phase = "setup";
      else if (/client \d+\/\d+ training/.test(message)) phase = "update";
      else if (/aggregating/.test(message)) phase = "aggregate";
      else if (/claiming/.test(message)) phase = "claim";
    },
  });
  const total = (p: Phase) => Object.values(byPhase[p]).reduce((s, n) => s + n, 0);
  return {
    clients,
    rounds,
    byPhase,
    perUpdate: total("update") / (clients * rounds),
    perAggregation: total("aggregate") / rounds,
    perClaim: total("claim") / (clients * rounds),
  };
}
