import { parentPort, workerData } from "node:worker_threads";

import { isFlaiError } from "../errors.js";

import { runTraining, type TrainRequest } from "./program.js";

// The enclave boundary: inputs arrive as workerData, one message leaves. Errors cross as plain data
// because class identity does not survive structured cloning.
runTraining(workerData as TrainRequest).then(
  (response) => parentPort?.postMessage({ ok: true, response }),
  (error: unknown) =>
    parentPort?.postMessage({
      ok: false,
      userError: isFlaiError(error),
      message: error instanceof Error ? error.message : String(error),
    }),
);
