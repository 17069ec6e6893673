import { serveWorker } from "../tee/worker-entry.js";

import { runAggregation, type AggregateRequest } from "./aggregator.js";

// The aggregation enclave's boundary: recorded updates in, a signed round result out. The request is
// this worker's own copy, so its bytes are dropped as they are used (consume).
serveWorker((req: AggregateRequest) => runAggregation(req, { consume: true }));
