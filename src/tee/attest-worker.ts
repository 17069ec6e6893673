import { statePublicKeys } from "./program.js";
import { serveWorker } from "./worker-entry.js";

// The enclave's quote step: its sealed keys in, their public halves out (the authority signs those).
serveWorker(statePublicKeys);
