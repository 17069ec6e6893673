import { parentPort } from "node:worker_threads";

import { isFlaiError } from "../errors.js";

/** One call into an enclave worker (run-worker.ts): its id comes back with the reply. */
export interface WorkerRequest {
  id: number;
  input: unknown;
}

export type WorkerReply<T> = { id: number } & ({ ok: true; response: T } | { ok: false; userError: boolean; message: string });

/**
 * Serves an enclave program in this worker: each message is one call's input, one reply leaves per
 * call. The worker lives on between calls (run-worker.ts sends it one call at a time). Errors cross
 * as plain data because class identity does not survive structured cloning.
 */
export function serveWorker<In, Out>(program: (input: In) => Promise<Out>): void {
  parentPort?.on("message", ({ id, input }: WorkerRequest) => {
    program(input as In).then(
      (response) => parentPort?.postMessage({ id, ok: true, response }),
      (error: unknown) =>
        parentPort?.postMessage({
          id,
          ok: false,
          userError: isFlaiError(error),
          message: error instanceof Error ? error.message : String(error),
        }),
    );
  });
}
