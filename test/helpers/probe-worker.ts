// An enclave-worker program for test/tee/prewarm.test.ts: replies with its thread id, so a test can
// tell which worker served a call.
import { isMainThread, threadId } from "node:worker_threads";

import { serveWorker } from "../../src/tee/worker-entry.js";

if (!isMainThread) serveWorker(async () => ({ threadId }));
