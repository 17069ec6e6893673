// End-to-end rows for the enclave's aggregation (issue 14), through the public API on the in-process
// chain and local storage: a task of 10 clients × D = 1e5 features (1.6 MB sealed updates with the
// default drift correction's gradient, a 40-row
// evaluation set of ~21.5 MB JSON, as bench/round.ts), ROUNDS rounds of 10 × runClient + aggregate.
// Run alone with `npx tsx bench/e2e/aggregate.ts` (prints the rows as JSON lines).
// The task runs once per global model format (MODEL_FORMATS, default "binary,json": binary is the
// default from 10,000 parameters, so the JSON task is there to compare), one after the other in this
// process, each a task of its own on the same chain.
//
// Rows:
//   - "aggregate(), first call of a process": the whole round-1 `aggregate()` call of the first task, as a
//     fresh `flai:aggregate` process makes it: the idle enclave workers are ended before it, so it starts
//     one (pre-warmed at the call's start, overlapping the round's close and reads: tsx loader, the
//     program's imports, WebAssembly keccak), closes the round, reads, roots + parses the evaluation set,
//     aggregates, uploads and finalizes.
//   - "enclave aggregation, <format> model": the best of later rounds (the worker and the evaluation
//     set's parse, kept by its verified root, are reused), per format.
//   - "aggregation fetch": (best round) the host reading the round's inputs from storage (updates and model;
//     the evaluation set crosses into the enclave worker once per process, so later rounds do not read it).
// Floors, measured in this run on the real bytes, in this thread (warm):
//   - aggregation: what the enclave must do at least: hash + open + decode + check the 10 sealed
//     updates, their mean, evaluate the new model on the evaluation set, serialize the new model and
//     take its SHA-256 and 0G root (the evaluation set parsed beforehand, as the enclave keeps it).
//   - fetch (run right after each round's aggregate(), on that round): the round's UpdateRecorded log
//     query (the host learns the update roots from the chain), then fs.readFile of its 10 updates from
//     the local storage folder, with the model's file read alongside the query.
//   - first call: an empty worker thread's start under this process's launcher (the enclave runs in a
//     thread of its own; bench/e2e/_worker-start.ts) + the aggregation floor + fs.readFile of round 1's
//     inputs (10 updates, the initial model, the evaluation set) + rooting and parsing the evaluation
//     set (the enclave must check it against the committed root). It leaves out the program's imports,
//     the round's two transactions and the two uploads, so it is a lower bound.
import { createHash } from "node:crypto";
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";

import { Contract, type EventLog } from "ethers";
import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import type { FlaiConnection } from "../../src/chain/connection.js";
import { openUpdateParts } from "../../src/federated/envelope.js";
import { evaluate } from "../../src/federated/evaluate.js";
import {
  globalModelBytes,
  linearModel,
  MODEL_FORMATS,
  parameterCount,
  parseGlobalModel,
  type ModelFormat,
} from "../../src/federated/global-model.js";
import { decodeUpdate, validateUpdate } from "../../src/federated/update.js";
import { loadFlaiArtifact } from "../../src/chain/artifact.js";
import { parseDataset } from "../../src/ml/dataset.js";
import { computeRoot, fastRootsReady } from "../../src/storage/merkle.js";
import type { LocalStorage } from "../../src/storage/local.js";
import { unsealSecrets } from "../../src/tee/identity.js";
import { endIdleWorkers } from "../../src/tee/run-worker.js";
import { tempProject } from "../../test/helpers/project.js";

import { datasetText, syntheticData } from "../_synthetic.js";

import { measureWorkerStart, type WorkerStart } from "./_worker-start.js";

import type { Row } from "./row.js";

const CLIENTS = 10;
const FEATURES = Number(process.env.FEATURES ?? 100_000);
const ROWS_PER_CLIENT = 40;
const EVALUATION_ROWS = 40;
const ROUNDS = Number(process.env.ROUNDS ?? 4);
const FORMATS = (process.env.MODEL_FORMATS ?? "binary,json").split(",") as ModelFormat[];
if (!FORMATS.every((f) => MODEL_FORMATS.includes(f))) throw new Error(`MODEL_FORMATS: one or more of ${MODEL_FORMATS.join(", ")}`);

// ---- Seeded synthetic data (bench/_synthetic.ts) ----
const dataset = syntheticData(FEATURES, 1);

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const sha256 = (bytes: Uint8Array) => "0x" + createHash("sha256").update(bytes).digest("hex");

export async function measure(): Promise<Row[]> {
  const { hre, root } = await tempProject();
  const connection = await hre.network.create();
  const rows: Row[] = [];
  for (const [k, format] of FORMATS.entries()) {
    const formatRows = await measureFormat(hre, root, connection, format, k === 0);
    // The worker's start-up and the fetch are the same for both formats: reported for the first.
    rows.push(...(k === 0 ? formatRows : formatRows.filter((r) => r.row === `enclave aggregation, ${format} model`)));
  }
  return rows;
}

async function measureFormat(
  hre: HardhatRuntimeEnvironment,
  root: string,
  connection: FlaiConnection,
  format: ModelFormat,
  firstOfProcess: boolean,
): Promise<Row[]> {
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
  const evaluationFile = path.join(root, "evaluation.json");
  await writeFile(evaluationFile, datasetText(dataset(EVALUATION_ROWS)));
  const { fedavg, storage, teeSim } = hre.flai;
  const created = await fedavg.createTask({
    model: spec,
    evaluation: evaluationFile,
    standardizeOn: dataset(ROWS_PER_CLIENT),
    rounds: ROUNDS,
    quorum: CLIENTS,
    reward: "1",
    modelFormat: format,
    // Public: the floors below parse the stored models directly. A private task's aggregation adds one
    // open and one seal of the model (AES-256-CTR + HMAC-SHA256 passes: bench/artifact.ts measures them).
    public: true,
    connection,
  });
  const taskId = created.task.id;
  // For the fetch floor: the round's logs queried straight from the contract (no plugin call around it).
  const federated = new Contract(
    (await hre.flai.jobs.deployment({ connection })).federated,
    loadFlaiArtifact("FLAIFederated").abi,
    connection.ethers.provider,
  );

  let base = created.task.globalRoot;
  const aggregateMs: number[] = [];
  const fetchMs: number[] = [];
  const fetchFloors: number[] = [];
  // Whole runClient calls (download + parse the model, train, seal, upload, record) of rounds 2 on
  // (round 1 of the first task also compiles the training kernels): for the note only.
  const clientMs: number[] = [];
  let last: { base: string; next: string; updates: string[]; txHash: string; round: number } | undefined;
  let firstCallMs = NaN;
  // The first call's own phases (aggregate()'s timings): fetch, enclave, uploads, finalize; for the note.
  let firstPhases = "";
  let firstInputs: string[] = [];
  for (let round = 1; round <= ROUNDS; round++) {
    const updates: string[] = [];
    for (let i = 0; i < CLIENTS; i++) {
      const start = performance.now();
      const r = await fedavg.runClient({ taskId, data: dataset(ROWS_PER_CLIENT), signer: signers[i + 1], connection });
      if (round > 1) clientMs.push(performance.now() - start);
      updates.push(r.updateRoot);
    }
    const first = round === 1 && firstOfProcess;
    // As a fresh process: no enclave worker yet (createTask's attestation started one).
    if (first) await endIdleWorkers();
    const start = performance.now();
    const agg = await fedavg.aggregate({ taskId, connection });
    if (first) {
      firstCallMs = performance.now() - start;
      const { fetch, upload, chain } = agg.timings;
      firstPhases = `fetch ${fetch.toFixed(0)}, uploads ${upload.toFixed(0)}, finalize ${chain.toFixed(0)} ms`;
      firstInputs = [...updates, base];
    }
    aggregateMs.push(agg.timings.aggregate);
    fetchMs.push(agg.timings.fetch);
    // The fetch floor right after the measured fetch, on the same round (interleaved: a neighbour's load hits both alike).
    fetchFloors.push(await fetchFloor(hre, federated, taskId, round, base));
    last = { base, next: agg.globalRoot, updates, txHash: agg.txHash, round };
    base = agg.globalRoot;
  }

  // ---- Floors, on the last round's bytes ----
  await fastRootsReady();
  const local = storage as LocalStorage;
  const { base: baseRoot, next: nextRoot, updates, txHash, round } = last!;
  const current = parseGlobalModel(await storage.read(baseRoot), "base model");
  const evaluationRoot = current.federated.evaluationRoot;
  const receipt = await connection.ethers.provider.getTransactionReceipt(txHash);
  const { chainId } = await connection.ethers.provider.getNetwork();
  const ciphertexts = await Promise.all(updates.map((u) => storage.read(u)));
  const evaluationSet = parseDataset(await storage.read(evaluationRoot), "evaluation set");
  const next = parseGlobalModel(await storage.read(nextRoot), "next model");
  const { encryptionSecret } = await unsealSecrets(teeSim.dir);
  const baseHash = sha256(globalModelBytes(current));
  const dimension = parameterCount(current);

  const aggregateFloor = await bestOf(3, async () => {
    const sum = new Float64Array(dimension);
    for (let k = 0; k < CLIENTS; k++) {
      const client = await signers[k + 1]!.getAddress();
      sha256(ciphertexts[k]!);
      const plain = openUpdateParts(ciphertexts[k]!, encryptionSecret, { chainId, contract: receipt!.to!, taskId, round, client });
      const update = decodeUpdate(plain, "update");
      validateUpdate(update, dimension, "update");
      if (update.baseModelHash !== baseHash) throw new Error("bench: update is not from the base model");
      for (let j = 0; j < dimension; j++) sum[j]! += update.delta[j]! / CLIENTS;
    }
    evaluate(linearModel(next), evaluationSet);
    const bytes = globalModelBytes(next);
    sha256(bytes);
    computeRoot(bytes);
  });

  const evaluationObject = local.objectPath(evaluationRoot as `0x${string}`);
  const firstReadFloor = await bestOf(3, async () => {
    await Promise.all([...firstInputs, evaluationRoot].map((r) => readFile(local.objectPath(r as `0x${string}`))));
  });
  const evaluationBytes = await readFile(evaluationObject);
  const evaluationFloor = await bestOf(3, async () => {
    computeRoot(evaluationBytes);
    parseDataset(evaluationBytes, "evaluation set");
  });
  // Where the first call's worker start goes (tsx loader, imports). The enclave runs in a thread of
  // its own (the boundary), so an empty worker's start under this process's launcher is in the floor.
  const workerStart = firstOfProcess ? await measureWorkerStart() : undefined;
  const firstCallFloor = aggregateFloor + firstReadFloor + evaluationFloor + (workerStart?.emptyTsxMs ?? 0);
  const start = workerStart === undefined ? "" : workerStartNote(workerStart);

  const modelKiB = (globalModelBytes(next).length / 1024).toFixed(0);
  const note = `${CLIENTS} × D=${FEATURES}, ${ROUNDS} rounds, ${(ciphertexts[0]!.length / 1024).toFixed(0)} KiB sealed updates, ${format} model of ${modelKiB} KiB`;
  return [
    {
      row: "aggregate(), first call of a process (worker start)",
      measuredMs: firstCallMs,
      floorMs: firstCallFloor,
      floorWhat:
        "an empty worker's start (same launcher) + the aggregation floor + readFile of round 1's inputs (10 updates, model, evaluation set) + root + parse of the evaluation set, in-thread",
      note:
        `the whole round-1 aggregate() call (close, read, enclave, 2 uploads, finalize) with no enclave worker before it; its enclave part ` +
        `${aggregateMs[0]!.toFixed(0)} ms (${firstPhases}; the rest is reading the task and closing the round); floor = ${(workerStart?.emptyTsxMs ?? 0).toFixed(0)} empty worker + ${aggregateFloor.toFixed(0)} + ` +
        `${firstReadFloor.toFixed(0)} read + ${evaluationFloor.toFixed(0)} root and parse ms; ${start}; ${note}`,
    },
    {
      row: `enclave aggregation, ${format} model`,
      // The best warm round, as the floor is the best of its runs (on a shared machine a median measures the neighbours).
      measuredMs: Math.min(...aggregateMs.slice(1)),
      floorMs: aggregateFloor,
      floorWhat: "open+check 10 updates, mean, evaluate, serialize+hash model, in-thread",
      note:
        `best of rounds 2–${ROUNDS} (median ${median(aggregateMs.slice(1)).toFixed(0)} ms; worker and evaluation parse reused); ${note}; ` +
        `a client's whole runClient, rounds 2–${ROUNDS}: median ${median(clientMs).toFixed(0)} ms`,
    },
    {
      row: "aggregation fetch per round",
      measuredMs: Math.min(...fetchMs),
      floorMs: Math.min(...fetchFloors),
      floorWhat:
        "the round's UpdateRecorded log query (on the contract) then readFile of its 10 updates, with readFile of the model alongside",
      note:
        `best of ${ROUNDS} rounds, each followed by its floor (medians ${median(fetchMs).toFixed(2)} vs ${median(fetchFloors).toFixed(2)} ms); ` +
        `the host learns the update roots from the chain (one eth_getLogs) and reads them unverified (the enclave checks each against the chain); ` +
        `the evaluation set is sent to the worker once (round 1's fetch also reads it)`,
    },
  ];
}

/**
 * The least a round's fetch can be: the round's update roots from the chain (the same log query as
 * aggregate(), on the contract directly), then the updates' files, with the model's file read
 * alongside the query (its root is known from the task).
 */
async function fetchFloor(
  hre: HardhatRuntimeEnvironment,
  federated: Contract,
  taskId: bigint,
  round: number,
  modelRoot: string,
): Promise<number> {
  const local = hre.flai.storage as LocalStorage;
  const file = (root: string) => readFile(local.objectPath(root as `0x${string}`));
  const start = performance.now();
  const updates = federated
    .queryFilter(federated.filters.UpdateRecorded!(taskId, round))
    .then((logs) => Promise.all(logs.map((log) => file((log as EventLog).args[3] as string))));
  await Promise.all([updates, file(modelRoot)]);
  return performance.now() - start;
}

/** The worker's cold start, split: what the measured call pays under tsx vs an install's dist/ build. */
function workerStartNote(w: WorkerStart): string {
  const dist = w.distMs === undefined ? "no dist/ build to compare" : `from dist/ (last npm run build) ${w.distMs.toFixed(0)} ms`;
  return (
    `worker cold start to the aggregation program loaded: ${w.tsxMs.toFixed(0)} ms under tsx (an empty worker: ${w.emptyTsxMs.toFixed(0)} ms ` +
    `under tsx, ${w.emptyMs.toFixed(0)} ms without), ${dist}; medians of 5 interleaved`
  );
}

async function bestOf(runs: number, fn: () => Promise<void>): Promise<number> {
  let best = Infinity;
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    await fn();
    best = Math.min(best, performance.now() - start);
  }
  return best;
}

if (process.argv[1] === import.meta.filename) {
  for (const row of await measure()) console.log(JSON.stringify(row));
  process.exit(0);
}
