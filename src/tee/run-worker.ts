import path from "node:path";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";

import { flaiError } from "../errors.js";

type WorkerReply<T> = { ok: true; response: T } | { ok: false; userError: boolean; message: string };

const here = fileURLToPath(import.meta.url);
const extension = path.extname(here);

/**
 * Starts a worker module next to this file. From a TypeScript checkout (Hardhat runs it through tsx)
 * the worker thread needs tsx too: loaders registered at run time are not inherited by workers.
 */
export function runWorker<T>(module: string, data: unknown, timeoutMs: number, what: string): Promise<T> {
  const file = path.join(path.dirname(here), module + extension);
  const execArgv = extension === ".ts" ? ["--import", import.meta.resolve("tsx/esm")] : [];
  return new Promise<T>((resolve, reject) => {
    const worker = new Worker(file, { workerData: data, execArgv });
    let settled = false;
    const finish = (fn: () => void) => {
      if (!settled) {
        settled = true;
        clearTimeout(timer);
        fn();
        void worker.terminate();
      }
    };
    const timer = setTimeout(
      () =>
        finish(() =>
          reject(
            flaiError(
              `${what} did not finish within ${Math.round(timeoutMs / 1000)} s. ` +
                `Raise flai.enclave.trainingTimeoutSeconds in hardhat.config.ts, or train on less data.`,
            ),
          ),
        ),
      timeoutMs,
    );
    worker.once("message", (reply: WorkerReply<T>) =>
      finish(() =>
        reply.ok
          ? resolve(reply.response)
          : reject(reply.userError ? flaiError(reply.message) : flaiError(`${what} failed inside the enclave: ${reply.message}`)),
      ),
    );
    worker.once("error", (error) => finish(() => reject(flaiError(`${what} crashed: ${error.message}`, error))));
    worker.once("exit", (code) =>
      finish(() => reject(flaiError(`${what} stopped (exit code ${code}) before returning a result.`))),
    );
  });
}
