import path from "node:path";
import { fileURLToPath } from "node:url";
import { SHARE_ENV, Worker } from "node:worker_threads";

import { flaiError } from "../errors.js";

import { ENCLAVE_WORKER, type WorkerReply, type WorkerRequest } from "./worker-entry.js";

const here = fileURLToPath(import.meta.url);
const extension = path.extname(here);
/** Every enclave worker runs this file, which loads the programs it is asked for (worker-entry.ts). */
const WORKER_FILE = path.join(path.dirname(here), "worker-entry" + extension);

/** Idle workers kept: enough for the parallel calls one process makes, no more. */
const MAX_IDLE = 4;

/**
 * Idle enclave workers, most recently used last. A worker is started once per process and serves
 * one call at a time, of any enclave program: it loads a program on its first call (or pre-warm),
 * so the start-up (the tsx loader, ethers, the WebAssembly hasher) is paid once per thread, not once
 * per program (a round's close, its aggregation, an attestation). A busy worker means another one.
 * The boundary is unchanged: every call hands the worker its inputs, which it re-checks itself; what
 * a worker keeps between calls is only what it verified itself (e.g. an evaluation set by its root).
 * Idle workers are unref'd so they never keep the process alive.
 */
const idle: Worker[] = [];
/** The program files each worker was asked to load (loaded, or loading). */
const loaded = new WeakMap<Worker, Set<string>>();
let nextId = 1;

function startWorker(): Worker {
  // From a TypeScript checkout (Hardhat runs it through tsx) the worker thread needs tsx too:
  // loaders registered at run time are not inherited by workers. SHARE_ENV: a long-lived worker must
  // see the process's current environment (FLAI_MACHINE_DIR), not a copy from its start.
  const execArgv = extension === ".ts" ? ["--import", import.meta.resolve("tsx/esm")] : [];
  const worker = new Worker(WORKER_FILE, { execArgv, env: SHARE_ENV, workerData: { [ENCLAVE_WORKER]: true } });
  loaded.set(worker, new Set());
  // An idle worker that fails or exits leaves the pool; without an "error" listener, its error
  // would be thrown in this thread. A call in flight has its own listeners and reports it.
  const forget = () => {
    const at = idle.indexOf(worker);
    if (at >= 0) idle.splice(at, 1);
  };
  worker.on("error", forget).on("exit", forget);
  return worker;
}

/** The idle worker most recently used that has `file` loaded (it may hold that program's verified state), else any. */
function idleFor(file: string): Worker | undefined {
  for (let i = idle.length - 1; i >= 0; i--) if (loaded.get(idle[i]!)!.has(file)) return idle.splice(i, 1)[0];
  return idle.pop();
}

function takeWorker(file: string): Worker {
  const worker = idleFor(file) ?? startWorker();
  loaded.get(worker)!.add(file);
  worker.ref();
  return worker;
}

function releaseWorker(worker: Worker): void {
  if (idle.length >= MAX_IDLE) {
    void worker.terminate();
    return;
  }
  worker.unref();
  idle.push(worker);
}

/** The worker file of an enclave program named relative to this file, in this checkout's extension. */
function programFile(module: string): string {
  return path.join(path.dirname(here), module + extension);
}

/**
 * Has an enclave worker load the program `module` ahead of its first call, so that the start-up (the
 * tsx loader, the program's imports, the WebAssembly hasher) overlaps what the caller does before the
 * call (storage reads, chain calls). Nothing when an idle worker has it loaded; an idle worker without
 * it loads it; with none idle, a worker is started. The worker waits in the idle pool, unref'd: it
 * never keeps the process alive. A program that fails to load only ends that worker: the call that
 * needs the program starts its own, which reports the failure.
 */
export function prewarmWorker(module: string): void {
  const file = programFile(module);
  if (idle.some((w) => loaded.get(w)!.has(file))) return;
  let worker: Worker;
  try {
    worker = idleFor(file) ?? startWorker();
  } catch {
    return; // The call reports it: its own start fails the same way.
  }
  loaded.get(worker)!.add(file);
  const request: WorkerRequest = { id: 0, program: file, load: true };
  worker.postMessage(request);
  releaseWorker(worker);
}

/** The thread ids of the idle workers that have a program loaded (tests). @internal */
export function idleWorkerThreads(module: string): number[] {
  const file = programFile(module);
  return idle.filter((w) => loaded.get(w)!.has(file)).map((w) => w.threadId);
}

/**
 * Runs one call of the enclave program `module` (a worker entry next to this file) on `data`, in a
 * worker thread of this process. A call that times out or crashes ends its worker; the next call starts a fresh one.
 * `transfer`: ArrayBuffers inside `data` the worker takes over instead of a copy (detached here once
 * sent: the caller must not read them again, and reads them anew for another call).
 */
export function runWorker<T>(module: string, data: unknown, timeoutMs: number, what: string, transfer: ArrayBuffer[] = []): Promise<T> {
  const file = programFile(module);
  const worker = takeWorker(file);
  const id = nextId++;
  return new Promise<T>((resolve, reject) => {
    let settled = false;
    const finish = (keep: boolean, fn: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      worker.off("message", onMessage).off("error", onError).off("exit", onExit);
      if (keep) releaseWorker(worker);
      else void worker.terminate();
      fn();
    };
    const onMessage = (reply: WorkerReply<T>) => {
      if (reply.id !== id) return;
      finish(true, () =>
        reply.ok
          ? resolve(reply.response)
          : reject(
              reply.userError
                ? withRefusalCode(flaiError(reply.message), reply.code, reply.detail)
                : flaiError(`${what} failed inside the enclave: ${reply.message}`),
            ),
      );
    };
    const onError = (error: Error) => finish(false, () => reject(flaiError(`${what} crashed: ${error.message}`, error)));
    const onExit = (code: number) =>
      finish(false, () => reject(flaiError(`${what} stopped (exit code ${code}) before returning a result.`)));
    const timer = setTimeout(
      () =>
        finish(false, () =>
          reject(
            flaiError(
              `${what} did not finish within ${Math.round(timeoutMs / 1000)} s. ` +
                `Raise flai.enclave.trainingTimeoutSeconds in hardhat.config.ts, or train on less data.`,
            ),
          ),
        ),
      timeoutMs,
    );
    worker.on("message", onMessage).on("error", onError).on("exit", onExit);
    const request: WorkerRequest = { id, program: file, input: data };
    worker.postMessage(request, transfer);
  });
}

/**
 * The buffers of `arrays` a worker may take over (runWorker's `transfer`: moved, not copied). Only an
 * array that owns its whole ArrayBuffer moves: a view into a larger one (a slice of Node's Buffer
 * pool, a subarray) would take the rest of that memory with it, and a SharedArrayBuffer is shared
 * anyway; postMessage copies those as before. The caller must own the arrays it lists (e.g. fresh
 * bytes from StorageBackend.read: readFile's own buffer), since moving detaches them. Each buffer is
 * listed once (postMessage refuses a duplicate).
 */
export function movableBuffers(...arrays: (Uint8Array | null)[]): ArrayBuffer[] {
  const owned = arrays.flatMap((a) =>
    a !== null && a.buffer instanceof ArrayBuffer && a.byteOffset === 0 && a.byteLength === a.buffer.byteLength ? [a.buffer] : [],
  );
  return [...new Set(owned)];
}

/** A user error from the enclave, with the code its program gave the refusal (worker-entry.ts). */
function withRefusalCode<E extends Error>(error: E, code: string | undefined, detail: string | undefined): E {
  if (detail !== undefined) Object.assign(error, { detail });
  return code === undefined ? error : Object.assign(error, { code });
}

/** The value a refusal's code goes with (worker-entry.ts refusalDetail), if any. */
export function refusalDetailOf(error: unknown): string | undefined {
  const detail = error instanceof Error ? (error as { detail?: unknown }).detail : undefined;
  return typeof detail === "string" ? detail : undefined;
}

/** The code an enclave program gave a refusal (e.g. aggregator.ts's EVALUATION_NEEDED), if any. */
export function refusalCodeOf(error: unknown): string | undefined {
  const code = error instanceof Error ? (error as { code?: unknown }).code : undefined;
  return typeof code === "string" ? code : undefined;
}

/** Ends every idle enclave worker (tests and benches that want a cold start). @internal */
export async function endIdleWorkers(): Promise<void> {
  const workers = idle.splice(0);
  await Promise.all(workers.map((w) => w.terminate()));
}
