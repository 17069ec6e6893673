import { serveWorker } from "../tee/worker-entry.js";

import { runAggregation } from "./aggregator.js";

// The aggregation enclave's boundary: recorded updates in, a signed round result out.
serveWorker(runAggregation);
