// One-federated-round bench (run with `npm run bench:round` / `npx tsx bench/round.ts`).
//
// 10 clients × D = 1e5 features (seeded synthetic data, 200 rows per client), local storage and the
// in-process Hardhat chain, through the public API: hre.flai.federated.createTask, then per round 10 ×
// runClient and one aggregate. Each update is 800 KB, so any step that is quadratic in the update
// size or otherwise slow for large models shows here. The per-step figures are the timings the API
// returns (runClient: train / encrypt / upload / chain; aggregate: fetch / aggregate / upload /
// chain), medians over ROUNDS rounds; "other" is wall time the API timings do not cover (reading
// the task and round from the chain before any work). There is no reference to compare with ("—").
// Then the multi-process rows (bench/_round-processes.ts): the wall time of one round with N = 4, 8, 16
// client processes, each a party in its own folder with its own key, against one `hardhat node` +
// `flai:devnet` (PROCESSES=4,8 / PROCESS_RUNS=3 change them; PROCESSES= leaves them out).
// Prints one JSON line per step, then a table. A bench never asserts; the exit code is 0.
import { mkdtemp, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";

import { createHardhatRuntimeEnvironment } from "hardhat/hre";

import flai from "../src/index.js";

import { multiProcessRounds } from "./_round-processes.js";
import { datasetText, syntheticData } from "./_synthetic.js";
import { median } from "./_args.js";

// Machine secrets (sealing key, dev attestation authority) go to a throwaway folder, as in the tests.
process.env.FLAI_MACHINE_DIR ??= path.join(os.tmpdir(), `flai-machine-bench-${process.pid}`);

const CLIENTS = 10;
const FEATURES = Number(process.env.FEATURES ?? 100_000);
const ROWS_PER_CLIENT = 200;
const EVALUATION_ROWS = 40;
const ROUNDS = Number(process.env.ROUNDS ?? 5);
// The multi-process rows: N client processes against one hardhat node + flai:devnet ("" to leave out).
const PROCESSES = (process.env.PROCESSES ?? "4,8,16")
  .split(",")
  .filter((n) => n.trim() !== "")
  .map(Number);
const PROCESS_RUNS = Number(process.env.PROCESS_RUNS ?? 3);
const SEED = 1;

interface Row {
  bench: "round";
  step: string;
  scope: string;
  runs: number;
  medianMs: number;
  minMs: number;
  maxMs: number;
  reference: null;
  ratio: null;
  note?: string;
}

// ---- Synthetic data (bench/_synthetic.ts) ----
const dataset = syntheticData(FEATURES, SEED);

// ---- Setup: a throwaway project with hardhat-flai as its only plugin (test/helpers/project.ts) ----

const t0 = performance.now();
const root = await mkdtemp(path.join(os.tmpdir(), "flai-bench-round-"));
await writeFile(path.join(root, "package.json"), JSON.stringify({ name: "flai-bench-project", type: "module" }));
const hre = await createHardhatRuntimeEnvironment({ plugins: [flai] }, {}, root);
const connection = await hre.network.create();
const signers = await connection.ethers.getSigners();

const spec = path.join(root, "model.json");
await writeFile(
  spec,
  JSON.stringify({
    format: "flai-model/v1",
    algorithm: "logistic-regression",
    features: FEATURES,
    hyperparameters: { c: 1, maxIterations: 100, tolerance: 1e-4, standardize: true },
  }),
);
const evaluation = path.join(root, "evaluation.json");
const evaluationText = datasetText(dataset(EVALUATION_ROWS));
await writeFile(evaluation, evaluationText);
console.log(
  `# round bench: ${CLIENTS} clients × ${FEATURES} features × ${ROWS_PER_CLIENT} rows each, ${ROUNDS} rounds, ` +
    `evaluation set ${EVALUATION_ROWS} rows (${(evaluationText.length / 1e6).toFixed(1)} MB JSON), ${os.availableParallelism()} cores, ` +
    `load average ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(" ")}`,
);

const { fedavg } = hre.flai;
// The shared feature scaling is fit on a sample of the training data (never on the evaluation set):
// one more client-sized draw, made outside the timed call.
const standardizeOn = dataset(ROWS_PER_CLIENT);
let t = performance.now();
const created = await fedavg.createTask({
  model: spec,
  evaluation,
  standardizeOn,
  rounds: ROUNDS,
  quorum: CLIENTS,
  reward: "1",
  // Private (the default): every client's reader key registered and admitted at creation (setup, not timed apart).
  clients: await Promise.all(
    signers.slice(1, 1 + CLIENTS).map(async (signer) => (await fedavg.registerReaderKey({ signer, connection })).account),
  ),
  connection,
});
const createMs = performance.now() - t;
const taskId = created.task.id;
console.log(`# setup ${((t - t0) / 1000).toFixed(1)} s; createTask ${createMs.toFixed(0)} ms (task ${taskId})`);

const clientSteps = ["train", "encrypt", "upload", "chain", "other"] as const;
const aggSteps = ["fetch", "aggregate", "upload", "chain", "other"] as const;
const perClient: Record<(typeof clientSteps)[number] | "wall", number[]> = {
  train: [],
  encrypt: [],
  upload: [],
  chain: [],
  other: [],
  wall: [],
};
const perRoundClients: Record<(typeof clientSteps)[number] | "wall", number[]> = {
  train: [],
  encrypt: [],
  upload: [],
  chain: [],
  other: [],
  wall: [],
};
const perAggregate: Record<(typeof aggSteps)[number] | "wall", number[]> = {
  fetch: [],
  aggregate: [],
  upload: [],
  chain: [],
  other: [],
  wall: [],
};
const roundWall: number[] = [];
let updateBytes = 0;

for (let round = 1; round <= ROUNDS; round++) {
  const sums = { train: 0, encrypt: 0, upload: 0, chain: 0, other: 0, wall: 0 };
  const roundStart = performance.now();
  for (let i = 0; i < CLIENTS; i++) {
    // Each client's data, generated outside the timed call (not part of the protocol).
    const data = dataset(ROWS_PER_CLIENT);
    t = performance.now();
    const r = await fedavg.runClient({ taskId, data, signer: signers[i + 1], connection });
    const wall = performance.now() - t;
    const steps = { ...r.timings, other: wall - (r.timings.train + r.timings.encrypt + r.timings.upload + r.timings.chain), wall };
    for (const k of [...clientSteps, "wall"] as const) {
      perClient[k].push(steps[k]);
      sums[k] += steps[k];
    }
  }
  for (const k of [...clientSteps, "wall"] as const) perRoundClients[k].push(sums[k]);
  t = performance.now();
  const agg = await fedavg.aggregate({ taskId, connection });
  const wall = performance.now() - t;
  const a = agg.timings;
  const steps = { ...a, other: wall - (a.fetch + a.aggregate + a.upload + a.chain), wall };
  for (const k of [...aggSteps, "wall"] as const) perAggregate[k].push(steps[k]);
  roundWall.push(performance.now() - roundStart);
  const stored = await hre.flai.storage.read(agg.accepted[0]!.updateRoot);
  updateBytes = stored.length;
  console.log(
    `# round ${round}: ${(roundWall.at(-1)! / 1000).toFixed(1)} s, accuracy ${agg.metrics.accuracy.toFixed(3)}, ` +
      `${agg.accepted.length} accepted / ${agg.rejected.length} rejected, sealed update ${(updateBytes / 1024).toFixed(0)} KiB`,
  );
}

// ---- Report ----

const r2 = (x: number) => Math.round(x * 100) / 100;
const rows: Row[] = [];
function add(step: string, scope: string, xs: number[], note?: string): void {
  const row: Row = {
    bench: "round",
    step,
    scope,
    runs: xs.length,
    medianMs: r2(median(xs)),
    minMs: r2(Math.min(...xs)),
    maxMs: r2(Math.max(...xs)),
    reference: null,
    ratio: null,
    ...(note === undefined ? {} : { note }),
  };
  rows.push(row);
  console.log(JSON.stringify(row));
}

add("createTask", "once", [createMs], "initial model (1e5 weights + standardization) stored and recorded");
for (const k of clientSteps) add(k, "per client", perClient[k]);
add("runClient total", "per client", perClient.wall);
for (const k of clientSteps) add(k, `${CLIENTS} clients, per round`, perRoundClients[k]);
for (const k of aggSteps) add(k === "aggregate" ? "aggregate (enclave worker)" : `aggregate: ${k}`, "per round", perAggregate[k]);
add("aggregate total", "per round", perAggregate.wall);
add("round total", "per round", roundWall, `${CLIENTS} runClient + aggregate`);

// ---- One round with N client processes (bench/_round-processes.ts) ----
if (PROCESSES.length > 0) {
  console.log(`# multi-process round: ${PROCESSES.join(", ")} client processes, ${PROCESS_RUNS} runs each, one hardhat node + flai:devnet`);
  const measured = await multiProcessRounds(PROCESSES, PROCESS_RUNS, (line) => console.log(line));
  for (const n of PROCESSES) {
    const runs = measured.filter((r) => r.clients === n);
    const m = (xs: number[]) => (median(xs) / 1000).toFixed(1);
    add(
      `round, ${n} client processes`,
      "launch → finalized",
      runs.map((r) => r.finalized),
      `fixtures/data.json split ${n} ways, devnet storage, --poll 1; medians: every client in the round at ${m(runs.map((r) => r.allJoined))} s, ` +
        `${n} updates recorded at ${m(runs.map((r) => r.allRecorded))} s`,
    );
    add(
      `round, ${n} client processes`,
      "all joined → finalized",
      runs.map((r) => r.finalized - r.allJoined),
      "the round once every process is up",
    );
  }
}

const header = ["step", "scope", "runs", "median ms", "min ms", "max ms", "reference", "× reference"];
const table = rows.map((r) => [r.step, r.scope, String(r.runs), r.medianMs.toFixed(1), r.minMs.toFixed(1), r.maxMs.toFixed(1), "—", "—"]);
const widths = header.map((h, i) => Math.max(h.length, ...table.map((row) => row[i]!.length)));
const line = (cells: string[]) => "| " + cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(" | ") + " |";
console.log("");
console.log(line(header));
console.log("|" + widths.map((w, i) => (i < 2 ? ":" + "-".repeat(w + 1) : "-".repeat(w + 1) + ":")).join("|") + "|");
for (const row of table) console.log(line(row));
console.log(
  `\nSealed update: ${(updateBytes / 1024).toFixed(0)} KiB. "other" = runClient/aggregate wall time minus the API's own timings ` +
    `(chain reads before the work: task, round, deadline, duplicate check).`,
);
process.exit(0);
