// The multi-process part of bench/round.ts (a helper, not a bench of its own: the "_" keeps
// bench/run-all.ts from running it alone).
//
// One round with N client processes (N = 4, 8, 16), as parties on separate machines run it: one
// `hardhat node` and one `flai:devnet` (0G storage + compute stand-ins) shared by every N, a deployer
// that deploys and creates one single-round task per run (quorum = maxClients = N, so the round closes
// by itself at its N-th update), an aggregator follower started on the task, then N client followers
// (`flai:fl-client --follow`), each its own OS process in its own project folder with its own machine
// dir and key (test/helpers/parties.ts). Data: fixtures/data.json split IID among the N clients (8
// features), so the figure is the protocol's and the processes' cost, not training.
//
// Timed from launching the N client processes (the task exists, the aggregator follows it) to the
// round's RoundFinalized on the chain, with the moments in between: every client has seen the round
// (process start-up: Hardhat + the plugin + reading the task), every update recorded (the N-th closes
// the round: maxClients = N).
// hardhat node's 20 development accounts bound N: 2 for the devnet, deployer, aggregator, 16 clients.
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";

import { getAddress } from "ethers";

import { partitionDataset } from "../src/federated/partition.js";
import { parseDataset } from "../src/ml/dataset.js";
import { ChainWatch } from "../test/helpers/chain-watch.js";
import { freePort } from "../test/helpers/net.js";
import { datasetJson, devAccount, jsonLines, newParty, until, type Party } from "../test/helpers/parties.js";
import { killAll, startNode, type Running } from "../test/helpers/processes.js";

const FIXTURES = path.resolve(import.meta.dirname, "..", "fixtures");

export interface ProcessRound {
  clients: number;
  /** ms from launching the client processes to each milestone. */
  allJoined: number;
  allRecorded: number;
  finalized: number;
}

export async function multiProcessRounds(sizes: number[], runs: number, log: (line: string) => void): Promise<ProcessRound[]> {
  const largest = Math.max(...sizes);
  if (largest > 16) throw new Error(`at most 16 client processes (hardhat node's 20 accounts), asked for ${largest}`);
  const root = await mkdtemp(path.join(os.tmpdir(), "flai-bench-processes-"));
  const results: ProcessRound[] = [];
  let watch: ChainWatch | undefined;
  try {
    const [nodePort, indexerPort, computePort] = [await freePort(), await freePort(), await freePort()];
    const rpcUrl = `http://127.0.0.1:${nodePort}`;
    const chain = await newParty({ root, name: "chain", rpcUrl });
    await startNode(chain.dir, nodePort);
    const infra = await newParty({ root, name: "devnet", rpcUrl, account: "node" });
    const devnet = infra.start(["flai:devnet", "--port", String(indexerPort), "--compute-port", String(computePort), "--json"]);
    await devnet.waitFor(/^\}\s*$/m);
    const { indexerUrl, flowAddress } = JSON.parse(devnet.stdout()) as { indexerUrl: string; flowAddress: string };
    const storage = `storage: { backend: "0g", indexerUrl: ${JSON.stringify(indexerUrl)} }`;

    const deployer = await newParty({ root, name: "deployer", rpcUrl, account: devAccount(2) });
    const aggregator = await newParty({ root, name: "aggregator", rpcUrl, account: devAccount(3) });
    const clients = await Promise.all(
      Array.from({ length: largest }, (_, i) => newParty({ root, name: `client-${i + 1}`, rpcUrl, account: devAccount(4 + i) })),
    );

    const stated = await aggregator.json<{ report: { signer: string; authority: string } }>(["flai:enclave"]);
    await deployer.configure(`{ ${storage} }`);
    const deployed = await deployer.json<{ address: string; federated: string }>([
      "flai:deploy",
      "--attestation-authority",
      stated.report.authority,
    ]);
    const deployments = `deployments: { localnode: { jobs: ${JSON.stringify(getAddress(deployed.address))}, federated: ${JSON.stringify(getAddress(deployed.federated))} } }`;
    for (const party of [aggregator, ...clients]) await party.configure(`{ ${storage}, ${deployments} }`);
    await aggregator.json(["flai:enclave", "--register"]);
    watch = new ChainWatch(rpcUrl, deployed.federated, flowAddress);
    await writeFile(path.join(deployer.dir, "evaluation.json"), await readFile(path.join(FIXTURES, "data.json")));
    const all = parseDataset(await readFile(path.join(FIXTURES, "data.json")), "fixtures/data.json");

    for (const n of sizes) {
      const parts = partitionDataset(all, n, { scheme: "iid", seed: 1 });
      await Promise.all(clients.slice(0, n).map((c, i) => writeFile(path.join(c.dir, `data-${n}.json`), datasetJson(parts[i]!))));
      for (let run = 1; run <= runs; run++) {
        const r = await oneRound(n, { deployer, aggregator, clients: clients.slice(0, n), enclave: stated.report.signer, watch });
        results.push(r);
        log(
          `# ${n} client processes, run ${run}: joined ${(r.allJoined / 1000).toFixed(1)} s, recorded ${(r.allRecorded / 1000).toFixed(1)} s, ` +
            `finalized ${(r.finalized / 1000).toFixed(1)} s`,
        );
      }
    }
    return results;
  } finally {
    watch?.destroy();
    await killAll();
    await rm(root, { recursive: true, force: true });
  }
}

async function oneRound(
  n: number,
  p: { deployer: Party; aggregator: Party; clients: Party[]; enclave: string; watch: ChainWatch },
): Promise<ProcessRound> {
  const created = await p.deployer.json<{ task: { id: string } }>([
    "flai:fl-create",
    ...["--enclave", p.enclave, "--model", path.join(FIXTURES, "model.json"), "--test", "evaluation.json"],
    // The shared feature scaling comes from a training sample (this round's first client's share), never the test file.
    ...["--standardize-on", path.join(p.clients[0]!.dir, `data-${n}.json`)],
    ...["--rounds", "1", "--quorum", String(n), "--max-clients", String(n), "--reward", "0.1"],
  ]);
  const taskId = BigInt(created.task.id);
  // Every follower looks at the chain each second (--poll 1; 5 s by default), so the figure is the
  // protocol's and the processes', not mostly the followers' waits between looks.
  const aggregator = p.aggregator.start(["flai:aggregate", "--task", String(taskId), "--follow", "--poll", "1", "--json"]);
  // The aggregator host is already following the task when the clients start (as in a real task).
  await until(
    "the aggregator follower to see round 1",
    () => (jsonLines(aggregator).some((e) => e.event === "round-opened") ? true : undefined),
    120_000,
  );

  const start = performance.now();
  const followers: Running[] = p.clients.map((c) =>
    c.start(["flai:fl-client", "--task", String(taskId), "--data", `data-${n}.json`, "--follow", "--poll", "1", "--json"]),
  );
  const marks: Partial<Omit<ProcessRound, "clients">> = {};
  const at = () => performance.now() - start;
  await until(
    "the round to be finalized",
    async () => {
      if (marks.allJoined === undefined && followers.every((f) => jsonLines(f).some((e) => e.event === "round-opened")))
        marks.allJoined = at();
      if (marks.allRecorded === undefined && (await p.watch.updates(taskId)).length === n) marks.allRecorded = at();
      if ((await p.watch.roundsFinalized(taskId)).length === 1) {
        marks.finalized = at();
        marks.allRecorded ??= marks.finalized;
        return true;
      }
      for (const f of [aggregator, ...followers]) {
        if (f.child.exitCode !== null && f.child.exitCode !== 0) throw new Error(`a follower failed:\n${f.output()}`);
      }
      return undefined;
    },
    600_000,
  );
  // Every follower ends by itself once the task is finished (the clients after claiming).
  const all = [aggregator, ...followers];
  const codes = await Promise.all(all.map((f) => f.exited));
  const failed = all.findIndex((_, i) => codes[i] !== 0);
  if (failed !== -1) {
    throw new Error(
      `${failed === 0 ? "the aggregator" : `client ${failed}`} of ${n} exited ${codes[failed]} (task ${taskId}):\n${all[failed]!.output()}`,
    );
  }
  return {
    clients: n,
    allJoined: marks.allJoined ?? marks.allRecorded!,
    allRecorded: marks.allRecorded!,
    finalized: marks.finalized!,
  };
}
