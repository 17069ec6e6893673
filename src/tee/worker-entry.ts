import { pathToFileURL } from "node:url";
import { isMainThread, parentPort, workerData } from "node:worker_threads";

import { isFlaiError } from "../errors.js";

/**
 * One message to an enclave worker (run-worker.ts): a call of the enclave program in file `program`
 * (its id comes back with the reply), or with `load`, only the program's loading, ahead of its calls
 * (pre-warm; no reply).
 */
export interface WorkerRequest {
  id: number;
  program: string;
  input?: unknown;
  load?: true;
}

/** workerData of a thread started by run-worker.ts: it serves enclave programs (the key makes it unmistakable). */
export const ENCLAVE_WORKER = "flaiEnclaveWorker";

/**
 * A refusal's `code`: set by an enclave program on a user error (a string `code` property) so the host
 * can act on the refusal by code, never by matching its message text.
 */
export type WorkerReply<T> = { id: number } & (
  { ok: true; response: T } | { ok: false; userError: boolean; message: string; code?: string; detail?: string }
);

type Program = (input: unknown) => Promise<unknown>;

/** The machine-readable code a user error carries across the boundary (only a flaiError's, never a Node errno). */
function refusalCode(error: unknown): string | undefined {
  if (!isFlaiError(error)) return undefined;
  const code = (error as { code?: unknown }).code;
  return typeof code === "string" ? code : undefined;
}

/**
 * A refusal's `detail`: one machine-readable value the host needs to act on the code (e.g. the root
 * of the evaluation set EVALUATION_NEEDED asks for, which a private task's host cannot read from the
 * sealed model), so it is never parsed out of the message.
 */
function refusalDetail(error: unknown): string | undefined {
  if (!isFlaiError(error)) return undefined;
  const detail = (error as { detail?: unknown }).detail;
  return typeof detail === "string" ? detail : undefined;
}

// The enclave modules import ethers by sub-path (ethers/abi, /address, /crypto, /hash, /transaction,
// /utils), never the package root: the root also loads its providers, WebSocket client and keystore
// (144 modules, not 84), and every worker's cold start paid for them.

/** The program the entry module being loaded registered (serveWorker); loads run one at a time, so it is that entry's. */
let registered: Program | undefined;

/**
 * Registers an enclave program: called once by the top level of its entry module (aggregator-worker.ts,
 * worker.ts, …) as an enclave worker loads it. A worker serves every program it was asked for, so one
 * thread pays the start-up (the tsx loader, ethers, the WebAssembly hasher) once, not once per program.
 */
export function serveWorker<In, Out>(program: (input: In) => Promise<Out>): void {
  registered = program as Program;
}

const programs = new Map<string, Promise<Program>>();
let loads: Promise<unknown> = Promise.resolve();

/** The program in `file`, imported on its first request (one import at a time: see `registered`). */
function load(file: string): Promise<Program> {
  let program = programs.get(file);
  if (program === undefined) {
    program = loads.then(async () => {
      registered = undefined;
      await import(pathToFileURL(file).href);
      const served = registered;
      registered = undefined;
      if (served === undefined) throw new Error(`${file} is not an enclave program: it registers none (serveWorker)`);
      return served;
    });
    loads = program.catch(() => {});
    programs.set(file, program);
  }
  return program;
}

/**
 * A program that fails to load fails its worker, as a broken worker script would: the call in flight
 * reports it as a crash and the host never reuses the thread (run-worker.ts).
 */
function crash(error: unknown): void {
  setImmediate(() => {
    throw error;
  });
}

/** One message: the program's call (one reply per call; errors cross as plain data, class identity does not survive cloning). */
function serve({ id, program, input, load: onlyLoad }: WorkerRequest): void {
  const loaded = load(program);
  loaded.then((run) => {
    if (onlyLoad) return;
    Promise.resolve()
      .then(() => run(input))
      .then(
        (response) => parentPort?.postMessage({ id, ok: true, response }),
        (error: unknown) =>
          parentPort?.postMessage({
            id,
            ok: false,
            userError: isFlaiError(error),
            message: error instanceof Error ? error.message : String(error),
            code: refusalCode(error),
            detail: refusalDetail(error),
          }),
      );
  }, crash);
}

// Started by run-worker.ts on this file: serve enclave programs until the host ends the thread.
if (!isMainThread && (workerData as Record<string, unknown> | undefined)?.[ENCLAVE_WORKER] === true) parentPort?.on("message", serve);
