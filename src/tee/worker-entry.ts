import { parentPort } from "node:worker_threads";

import { isFlaiError } from "../errors.js";

/** One call into an enclave worker (run-worker.ts): its id comes back with the reply. */
export interface WorkerRequest {
  id: number;
  input: unknown;
}

/**
 * A refusal's `code`: set by an enclave program on a user error (a string `code` property) so the host
 * can act on the refusal by code, never by matching its message text.
 */
export type WorkerReply<T> = { id: number } & (
  | { ok: true; response: T }
  | { ok: false; userError: boolean; message: string; code?: string }
);

/** The machine-readable code a user error carries across the boundary (only a flaiError's, never a Node errno). */
function refusalCode(error: unknown): string | undefined {
  if (!isFlaiError(error)) return undefined;
  const code = (error as { code?: unknown }).code;
  return typeof code === "string" ? code : undefined;
}

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
          code: refusalCode(error),
        }),
    );
  });
}
