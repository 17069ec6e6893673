// Where an enclave worker's cold start goes (issue 14, the "aggregate(), first call" row's note): the
// time from `new Worker` to the reply of an aggregation call (its program imported; the call itself is
// refused at once: its input is empty), next to an empty worker with and without the tsx loader, and,
// when this checkout has a build (`npm run build`), the same program from dist/ as an install runs it.
// Each probe is a fresh thread; the kinds run interleaved, medians of RUNS.
import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { Worker } from "node:worker_threads";

const RUNS = 5;
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const TSX = ["--import", import.meta.resolve("tsx/esm")];
const EMPTY = new URL(
  `data:text/javascript,${encodeURIComponent('import { parentPort } from "node:worker_threads"; parentPort.postMessage(0);')}`,
);

/** ms from the thread's start to its first message. */
function firstReply(file: URL, execArgv: string[], program?: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const start = performance.now();
    // workerData's key is worker-entry.ts's ENCLAVE_WORKER (not imported: that would load it here).
    const worker = new Worker(file, { execArgv, workerData: { flaiEnclaveWorker: true } });
    worker.once("message", () => {
      resolve(performance.now() - start);
      void worker.terminate();
    });
    worker.once("error", reject);
    if (program !== undefined) worker.postMessage({ id: 1, program, input: {} });
  });
}

function probe(base: string, extension: string, execArgv: string[]): () => Promise<number> {
  const entry = pathToFileURL(path.join(base, "src/tee/worker-entry" + extension));
  return () => firstReply(entry, execArgv, path.join(base, "src/federated/aggregator-worker" + extension));
}

export interface WorkerStart {
  tsxMs: number;
  emptyTsxMs: number;
  emptyMs: number;
  /** undefined when the checkout has no dist/ build. */
  distMs?: number;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;

export async function measureWorkerStart(): Promise<WorkerStart> {
  const dist = path.join(root, "dist");
  const kinds: Record<keyof WorkerStart, (() => Promise<number>) | undefined> = {
    tsxMs: probe(root, ".ts", TSX),
    emptyTsxMs: () => firstReply(EMPTY, TSX),
    emptyMs: () => firstReply(EMPTY, []),
    distMs: existsSync(path.join(dist, "src/tee/worker-entry.js")) ? probe(dist, ".js", []) : undefined,
  };
  const times: Partial<Record<keyof WorkerStart, number[]>> = {};
  for (let i = 0; i < RUNS; i++) {
    for (const [kind, run] of Object.entries(kinds) as [keyof WorkerStart, (() => Promise<number>) | undefined][]) {
      if (run !== undefined) (times[kind] ??= []).push(await run());
    }
  }
  return {
    tsxMs: median(times.tsxMs!),
    emptyTsxMs: median(times.emptyTsxMs!),
    emptyMs: median(times.emptyMs!),
    distMs: times.distMs === undefined ? undefined : median(times.distMs),
  };
}

if (process.argv[1] === import.meta.filename) console.log(await measureWorkerStart());
