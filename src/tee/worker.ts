import { runTraining } from "./program.js";
import { serveWorker } from "./worker-entry.js";

// The training enclave's boundary: a job's verified inputs in, a signed result out.
serveWorker(runTraining);
