// Peak memory of `flai:fl-client` and `flai:aggregate` at D = 1e6 features (issue 14: "peak RSS within
// 3× the bytes of the data they hold"), each the real command in its own process, as a user runs it:
// `hardhat node` as the chain, one project with the local storage backend (its folder shared by every
// command, as 0G storage would be), `flai:deploy`, `flai:fl-create` (one round, quorum = max clients =
// CLIENTS, so the CLIENTS-th update closes the round), CLIENTS × `flai:fl-client --account i` on the
// same data file, then `flai:aggregate`.
//
// Peak RSS: getrusage's ru_maxrss of the command's own process, written at its exit by a module the
// process imports first (node --import): one process, so it counts the main thread, every worker
// thread (the enclave runs in one) and every buffer outside the JS heap.
//
// "Data held" (bytes; every number as a float64, the least a process can hold it in):
//   - fl-client: its dataset (rows × D × 8 + rows labels) + the global model's parameters ((D + 1) × 8)
//     + its update as sealed and stored (delta and the default drift correction's gradient, (D + 1) × 8
//     each, a header and the seal).
//   - aggregate: the CLIENTS updates + the global model's parameters, old and new (2 × (D + 1) × 8)
//     + the evaluation set (rows × D × 8 + rows labels).
// Baselines, measured in this run: an idle `hardhat run` of a script that connects to the same network
// (a task that does nothing: Node, Hardhat, the plugin's config), and the same command at D = 8 (the
// command's fixed cost: its code, the enclave worker's isolate, ethers, …).
// Data as .npz (bench/_npz.ts, what np.savez writes); MEMORY_FORMATS=npz,json adds JSON rows. JSON is
// not in the default run: its text is about 2.4× the float64 data and its parse is not streamed, so those
// rows show what the text costs rather than the commands' own footprint.
// Run alone: `npx tsx bench/e2e/memory.ts` (MEMORY_FEATURES=… for another D, MEMORY_ROWS for the rows;
// MEMORY_PROFILE=<preload.mjs> imports a profiling module into every measured command, e.g.
// MEMORY_PROFILE=./bench/e2e/_rss-timeline.mjs prints each command's RSS over time).
import { readFile, rm, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { pathToFileURL } from "node:url";

import { HARDHAT_CLI, pluginProject, userEnv } from "../../test/helpers/cli.js";
import { freePort } from "../../test/helpers/net.js";
import { startNode, type Running } from "../../test/helpers/processes.js";

import type { Dataset } from "../../src/ml/dataset.js";

import { npzParts } from "../_npz.js";
import { datasetText, syntheticData } from "../_synthetic.js";

import { timeCommand } from "./_spawn.js";
import type { Row } from "./row.js";

const FEATURES = Number(process.env.MEMORY_FEATURES ?? 1_000_000);
const ROWS = Number(process.env.MEMORY_ROWS ?? 24);
const CLIENTS = 4;
const SMALL_FEATURES = 8;
/** The data formats measured, as the client's --data and the creator's --test. */
const FORMATS = (process.env.MEMORY_FORMATS ?? "npz").split(",") as Format[];
const MiB = 1024 * 1024;

/** Imported first by every measured process: writes its peak RSS (bytes) to $FLAI_PEAK_RSS_FILE at exit. */
const PEAK_RSS_PRELOAD =
  "data:text/javascript," +
  encodeURIComponent(
    `import { writeFileSync } from "node:fs";` +
      `process.on("exit", () => { const f = process.env.FLAI_PEAK_RSS_FILE; if (f) writeFileSync(f, String(process.resourceUsage().maxRSS * 1024)); });`,
  );

/** More to say when a command fails (the chain's last output). */
let onFailure = () => "";

interface Measured {
  peak: number;
  ms: number;
  stdout: string;
}

/** MEMORY_PROFILE as a URL: a path is this process's (the commands run in the project's folder). */
function profileModule(value: string): string {
  return /^[a-z]+:/.test(value) ? value : pathToFileURL(path.resolve(value)).href;
}

/** `hardhat <args> --network local` in `cwd`; fails loudly; its peak RSS. */
async function measured(cwd: string, args: string[]): Promise<Measured> {
  const rssFile = path.join(cwd, `.peak-rss-${process.pid}-${Date.now()}`);
  const env = { ...userEnv(), FLAI_PEAK_RSS_FILE: rssFile };
  const profile = process.env.MEMORY_PROFILE === undefined ? [] : [`--import=${profileModule(process.env.MEMORY_PROFILE)}`];
  const run = await timeCommand(
    process.execPath,
    [`--import=${PEAK_RSS_PRELOAD}`, ...profile, HARDHAT_CLI, ...args, "--network", "local"],
    cwd,
    env,
  );
  if (run.code !== 0) {
    throw new Error(
      `hardhat ${args.join(" ")} exited with ${run.code}:\n${run.stdout.slice(-2000)}\n${run.stderr.slice(-3000)}\n${onFailure()}`,
    );
  }
  const peak = Number(await readFile(rssFile, "utf8"));
  await rm(rssFile, { force: true });
  if (profile.length > 0) console.error(`# ${args.slice(0, 1).join(" ")}: peak ${(peak / MiB).toFixed(0)} MiB\n${run.stderr}`);
  return { peak, ms: run.ms, stdout: run.stdout };
}

/** A user's project on `hardhat node` at `nodePort` with this repository's plugin, local storage in the project. */
async function userProject(nodePort: number): Promise<string> {
  const dir = (await pluginProject("flai-bench-memory", `networks: { local: { type: "http", url: "http://127.0.0.1:${nodePort}" } }`))
    .project;
  // The idle baseline: connect to the same network and ask for one block number.
  await writeFile(
    path.join(dir, "idle.ts"),
    `import { network } from "hardhat";\nconst c = await network.connect();\nawait c.provider.request({ method: "eth_blockNumber" });\n`,
  );
  return dir;
}

interface Sizes {
  /** rows × D float64 features + one byte per label. */
  dataset: number;
  /** (D + 1) float64 parameters. */
  model: number;
  /** One sealed update as stored: delta (+ the drift correction's gradient), float64, with its header and seal. */
  update: number;
}

interface Flow {
  client: Measured[];
  aggregate: Measured;
  sizes: Sizes;
  /** The client's data file, as the command reads it. */
  fileBytes: number;
}

type Format = "npz" | "json";

/** `ds` written as `file` in `format`; its size in bytes. */
async function writeData(file: string, ds: Dataset, format: Format): Promise<number> {
  if (format === "json") {
    const text = datasetText(ds);
    await writeFile(file, text);
    return Buffer.byteLength(text);
  }
  const parts = npzParts(ds);
  await writeFile(file, parts);
  return parts.reduce((n, p) => n + p.length, 0);
}

/** One task of one round at `features` columns, data in `format`: CLIENTS fl-client processes, then one aggregate. */
async function flow(cwd: string, features: number, format: Format): Promise<Flow> {
  const data = syntheticData(features, 7);
  const spec = path.join(cwd, `model-${features}.json`);
  await writeFile(
    spec,
    JSON.stringify({
      format: "flai-model/v1",
      algorithm: "logistic-regression",
      features,
      hyperparameters: { c: 1, maxIterations: 20, tolerance: 1e-4, standardize: false },
    }),
  );
  const clientFile = path.join(cwd, `client-${features}.${format}`);
  const fileBytes = await writeData(clientFile, data(ROWS), format);
  const testFile = path.join(cwd, `test-${features}.${format}`);
  await writeData(testFile, data(ROWS), format);
  const created = await measured(cwd, [
    "flai:fl-create",
    ...[
      "--model",
      spec,
      "--test",
      testFile,
      "--rounds",
      "1",
      "--quorum",
      String(CLIENTS),
      "--max-clients",
      String(CLIENTS),
      "--reward",
      "0.01",
      "--json",
    ],
  ]);
  const task = String((JSON.parse(created.stdout) as { task: { id: unknown } }).task.id);
  const client: Measured[] = [];
  for (let i = 1; i <= CLIENTS; i++) {
    client.push(await measured(cwd, ["flai:fl-client", "--task", task, "--data", clientFile, "--account", String(i), "--json"]));
  }
  const aggregate = await measured(cwd, ["flai:aggregate", "--task", task, "--json"]);
  const { updateRoot } = JSON.parse(client[0]!.stdout) as { updateRoot: string };
  const update = (await stat(path.join(cwd, ".flai", "storage", updateRoot.slice(2)))).size;
  const sizes = { dataset: ROWS * features * 8 + ROWS, model: (features + 1) * 8, update };
  await rm(clientFile, { force: true });
  return { client, aggregate, sizes, fileBytes };
}

const mb = (bytes: number) => `${(bytes / MiB).toFixed(0)} MiB`;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;

interface Baselines {
  idle: number;
  small: Flow;
}

/** The two rows of one data format. */
function rowsOf(big: Flow, format: Format, base: Baselines): Row[] {
  const s = big.sizes;
  const row = (what: string, peak: number, data: number, fixed: number, held: string): Row => ({
    row: what,
    measuredMs: peak,
    floorMs: data,
    unit: "bytes",
    target: 3,
    floorWhat: `data held: ${held}`,
    note:
      `idle hardhat ${mb(base.idle)}, same command at D=${SMALL_FEATURES} ${mb(fixed)}; ` +
      `(peak − idle) / data = ${((peak - base.idle) / data).toFixed(2)}, (peak − D=${SMALL_FEATURES}) / data = ${((peak - fixed) / data).toFixed(2)}`,
  });
  return [
    row(
      `flai:fl-client peak RSS, D=${FEATURES}, ${ROWS} rows, --data .${format}`,
      median(big.client.map((m) => m.peak)),
      s.dataset + s.model + s.update,
      median(base.small.client.map((m) => m.peak)),
      `dataset ${mb(s.dataset)} (its .${format} file ${mb(big.fileBytes)}) + model ${mb(s.model)} + sealed update ${mb(s.update)}; ` +
        `median of ${CLIENTS} clients (${big.client.map((m) => mb(m.peak)).join(", ")})`,
    ),
    row(
      `flai:aggregate peak RSS, D=${FEATURES}, ${CLIENTS} updates, --test .${format}`,
      big.aggregate.peak,
      CLIENTS * s.update + 2 * s.model + s.dataset,
      base.small.aggregate.peak,
      `${CLIENTS} sealed updates ${mb(CLIENTS * s.update)} + old and new model ${mb(2 * s.model)} + evaluation set ${mb(s.dataset)} (${ROWS} rows)`,
    ),
  ];
}

export async function measure(): Promise<Row[]> {
  const running: Running[] = [];
  let cwd: string | undefined;
  try {
    const nodePort = await freePort();
    cwd = await userProject(nodePort);
    const node = await startNode(cwd, nodePort);
    running.push(node);
    onFailure = () => `--- hardhat node (exit ${node.child.exitCode}):\n${node.output().slice(-3000)}`;
    await measured(cwd, ["flai:deploy", "--json"]);
    const idle = median([
      (await measured(cwd, ["run", "--no-compile", "idle.ts"])).peak,
      (await measured(cwd, ["run", "--no-compile", "idle.ts"])).peak,
    ]);
    const small = await flow(cwd, SMALL_FEATURES, "npz");
    const rows: Row[] = [];
    for (const format of FORMATS) rows.push(...rowsOf(await flow(cwd, FEATURES, format), format, { idle, small }));
    return rows;
  } finally {
    for (const process of running.reverse()) await process.stop("SIGINT");
    // ~0.5 GB at D = 1e6: the data files and the storage folder's models and updates.
    if (cwd !== undefined) await rm(cwd, { recursive: true, force: true });
  }
}

if (process.argv[1] === import.meta.filename) {
  for (const row of await measure()) console.log(JSON.stringify({ bench: "e2e-memory", ...row, ratio: row.measuredMs / row.floorMs }));
  process.exit(0);
}
