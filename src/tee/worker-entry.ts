import { parentPort, workerData } from "node:worker_threads";

import { isFlaiError } from "../errors.js";

/**
 * Runs an enclave program in this worker: its input arrives as workerData, one message leaves.
 * Errors cross as plain data because class identity does not survive structured cloning.
 */
export function serveWorker<In, Out>(program: (input: In) => Promise<Out>): void {
  program(workerData as In).then(
    (response) => parentPort?.postMessage({ ok: true, response }),
    (error: unknown) =>
      parentPort?.postMessage({
        ok: false,
        userError: isFlaiError(error),
        message: error instanceof Error ? error.message : String(error),
      }),
  );
}
