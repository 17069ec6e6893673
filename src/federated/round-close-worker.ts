import { serveWorker } from "../tee/worker-entry.js";

import { signRoundCloseInEnclave } from "./round-close.js";

// The enclave's boundary for closing a round: a round binding in, a signed RoundClose out.
serveWorker(signRoundCloseInEnclave);
