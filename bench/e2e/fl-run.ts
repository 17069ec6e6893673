// `npx hardhat flai:fl-run --clients N --rounds 3` as a whole command (issue 14), for N = 10, 50 and
// 100 on the default in-process chain (20 configured accounts: beyond 19 clients fl-run derives the
// rest), in a fresh project each run. Linear scaling shows as a constant marginal cost per
// client-round, printed in each row's note: (T(N) − T(10)) / ((N − 10) · rounds).
//
// Floor, measured in this run: Hardhat start-up with the in-process chain, launched the way fl-run is
// (node + Hardhat's CLI in the same kind of project, `hardhat run --no-compile` of a script that
// connects to the chain), plus the chain requests the protocol cannot do without — one recordUpdate and
// one claim per client per round, and (the task is private, issue 17) each client's reader-key
// registration and the creator's keyring, each at the median time of one transaction sent and mined on the
// in-process chain here (a transfer through the same ethers signer), and the reads a client must make
// before trusting a round (task, round, its record, the enclave's registration: 3 calls, the chain's
// clock twice — 8 per update; a claim reads the task once and each round and record once: 2 + 2·rounds
// per client; counts pinned by test/federated/fl-run-requests), each at the median time of one eth_call. It leaves
// out the deployment, the training, sealing, uploads and the enclave's aggregation, so it is a lower bound. The machine is shared, so
// every figure is the median of FL_RUN_REPEATS runs (default 3) taken interleaved: each repeat runs
// every N, then the start-up floor, then the transaction floor. Run alone: `npx tsx bench/e2e/fl-run.ts` (FL_RUN_CLIENTS=10,50
// for fewer rows, FL_RUN_CLIENTS=10,50,100,200 to check scaling further).
import { mkdir, symlink, writeFile } from "node:fs/promises";
import path from "node:path";
import { pathToFileURL } from "node:url";

import { tempDir, tempProject } from "../../test/helpers/project.js";

import { timeCommand } from "./_spawn.js";
import type { Row } from "./row.js";

const ROOT = path.resolve(import.meta.dirname, "../..");
const HARDHAT_CLI = path.join(ROOT, "node_modules", "hardhat", "dist", "src", "cli.js");
const ROUNDS = 3;
const CLIENTS = (process.env.FL_RUN_CLIENTS ?? "10,50,100").split(",").map(Number);
const TX_SAMPLES = 30;
/** Reads per update and per client's claims (test/federated/fl-run-requests pins them). */
const READS_PER_UPDATE = 8;
const readsPerClient = (rounds: number) => 2 + 2 * rounds;
const REPEATS = Number(process.env.FL_RUN_REPEATS ?? 3);
const CONNECT_SCRIPT = path.join(ROOT, "bench", "e2e", "_connect.ts");

/** A user's project with hardhat-flai as its only plugin, and a machine folder of its own. */
async function project(): Promise<{ dir: string; env: NodeJS.ProcessEnv }> {
  const dir = await tempDir("flai-bench-flrun-");
  await writeFile(path.join(dir, "package.json"), JSON.stringify({ name: "flai-bench-flrun", private: true, type: "module" }));
  await symlink(path.join(ROOT, "node_modules"), path.join(dir, "node_modules"), "dir");
  await writeFile(
    path.join(dir, "hardhat.config.ts"),
    [
      `import { defineConfig } from "hardhat/config";`,
      `import flai from ${JSON.stringify(pathToFileURL(path.join(ROOT, "src", "index.ts")).href)};`,
      `export default defineConfig({ plugins: [flai] });`,
      ``,
    ].join("\n"),
  );
  await mkdir(path.join(dir, ".machine"));
  return { dir, env: { ...process.env, FLAI_MACHINE_DIR: path.join(dir, ".machine") } };
}

/** One whole fl-run; fails loudly unless every round accepted every client and every reward was claimed. */
async function flRun(clients: number): Promise<number> {
  const { dir, env } = await project();
  const run = await timeCommand(
    process.execPath,
    [HARDHAT_CLI, "flai:fl-run", "--clients", String(clients), "--rounds", String(ROUNDS), "--json"],
    dir,
    env,
  );
  if (run.code !== 0) throw new Error(`fl-run --clients ${clients} exited with ${run.code}:\n${run.stderr.slice(-2000)}`);
  const result = JSON.parse(run.stdout) as { rounds: Array<{ accepted: unknown[] }>; rewards: { pool: string; claimed: string } };
  if (
    result.rounds.length !== ROUNDS ||
    result.rounds.some((r) => r.accepted.length !== clients) ||
    result.rewards.claimed !== result.rewards.pool
  ) {
    throw new Error(`fl-run --clients ${clients} did not accept every update or claim every reward: ${run.stdout.slice(0, 2000)}`);
  }
  return run.ms;
}

/** The median times to send one transaction and have it mined, and to answer one eth_call, on the in-process chain. */
async function requestMs(): Promise<{ tx: number; read: number }> {
  const { hre } = await tempProject();
  const connection = await hre.network.create();
  const [from, to] = await connection.ethers.getSigners();
  const txs: number[] = [];
  const reads: number[] = [];
  for (let i = 0; i < TX_SAMPLES; i++) {
    let start = performance.now();
    await (await from!.sendTransaction({ to: to!.address, value: 1n })).wait();
    txs.push(performance.now() - start);
    start = performance.now();
    await connection.ethers.provider.call({ to: to!.address, data: "0x" });
    reads.push(performance.now() - start);
  }
  return { tx: median(txs), read: median(reads) };
}

/** Hardhat start-up with the in-process chain, spawned exactly like fl-run (node + the CLI, a fresh project). */
async function startupWithChain(): Promise<number> {
  const { dir, env } = await project();
  const run = await timeCommand(process.execPath, [HARDHAT_CLI, "run", "--no-compile", CONNECT_SCRIPT], dir, env);
  if (run.code !== 0) throw new Error(`hardhat run _connect.ts exited with ${run.code}:\n${run.stderr.slice(-2000)}`);
  return run.ms;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;

export async function measure(): Promise<Row[]> {
  const runs = new Map<number, number[]>(CLIENTS.map((n) => [n, []]));
  const startups: number[] = [];
  const txs: number[] = [];
  const reads: number[] = [];
  for (let r = 0; r < REPEATS; r++) {
    for (const n of CLIENTS) runs.get(n)!.push(await flRun(n));
    startups.push(await startupWithChain());
    const requests = await requestMs();
    txs.push(requests.tx);
    reads.push(requests.read);
  }
  const startup = median(startups);
  const tx = median(txs);
  const read = median(reads);
  const measured = new Map(CLIENTS.map((n) => [n, median(runs.get(n)!)]));
  const base = measured.get(CLIENTS[0]!)!;
  return CLIENTS.map((n) => {
    // recordUpdate + claim per client-round; one setReaderKey per client and one publishKeyring (private task).
    const transactions = 2 * n * ROUNDS + n + 1;
    const readCount = n * (ROUNDS * READS_PER_UPDATE + readsPerClient(ROUNDS));
    const marginal =
      n === CLIENTS[0]
        ? ""
        : `; marginal ${((measured.get(n)! - base) / ((n - CLIENTS[0]!) * ROUNDS)).toFixed(1)} ms per client-round over --clients ${CLIENTS[0]}`;
    return {
      row: `fl-run --clients ${n} --rounds ${ROUNDS}`,
      measuredMs: measured.get(n)!,
      floorMs: startup + transactions * tx + readCount * read,
      floorWhat:
        `Hardhat start-up with the in-process chain (${startup.toFixed(0)} ms, median of ${REPEATS}) + ${transactions} transactions × ${tx.toFixed(2)} ms` +
        ` + ${readCount} reads × ${read.toFixed(2)} ms (medians of ${REPEATS}), this run`,
      note:
        `median of ${REPEATS} interleaved runs (${runs
          .get(n)!
          .map((ms) => ms.toFixed(0))
          .join(", ")} ms), fresh project each` + `${n > 19 ? `; ${n - 19} client accounts derived` : ""}${marginal}`,
    };
  });
}

if (process.argv[1] === import.meta.filename) {
  for (const row of await measure()) console.log(JSON.stringify({ bench: "e2e", ...row, ratio: row.measuredMs / row.floorMs }));
  process.exit(0);
}
