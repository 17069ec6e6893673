// Run by test/tee/prewarm.test.ts in its own process: pre-warms an enclave worker, waits until the
// worker has started (it replied once and went back to the idle pool), prints the idle count and
// returns. The process must then exit by itself: an idle worker is unref'd.
import { idleWorkerThreads, prewarmWorker, runWorker } from "../../src/tee/run-worker.js";

export const PROBE = "../../test/helpers/probe-worker";

if (process.argv[1] === import.meta.filename) {
  prewarmWorker(PROBE);
  await runWorker(PROBE, null, 30_000, "probe");
  prewarmWorker(PROBE);
  console.log(`idle ${idleWorkerThreads(PROBE).length}`);
}
