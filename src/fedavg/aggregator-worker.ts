import { parentPort, workerData } from "node:worker_threads";

import { isFlaiError } from "../errors.js";

import { runAggregation, type AggregateRequest } from "./aggregator.js";

// The aggregation enclave's boundary: recorded updates in, a signed round result out.
runAggregation(workerData as AggregateRequest).then(
  (response) => parentPort?.postMessage({ ok: true, response }),
  (error: unknown) =>
    parentPort?.postMessage({
      ok: false,
      userError: isFlaiError(error),
      message: error instanceof Error ? error.message : String(error),
    }),
);
