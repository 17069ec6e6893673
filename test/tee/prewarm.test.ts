// Pre-warming an enclave worker (run-worker.ts prewarmWorker): the call that follows uses the worker
// started before it; a pre-warmed idle worker never keeps the process alive; a worker whose start
// fails is reported by the call that needed the program, never thrown in the host thread.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import path from "node:path";
import { promisify } from "node:util";

import { isFlaiError } from "../../src/errors.js";
import { endIdleWorkers, idleWorkerThreads, prewarmWorker, runWorker } from "../../src/tee/run-worker.js";

import { PROBE } from "../helpers/prewarm-exit.js";
import { errorOf } from "../helpers/project.js";

const BROKEN = "../../test/helpers/broken-worker";
const EXIT_SCRIPT = path.join(import.meta.dirname, "..", "helpers", "prewarm-exit.ts");

const probe = () => runWorker<{ threadId: number }>(PROBE, null, 30_000, "probe");

describe("enclave worker pre-warm", () => {
  beforeEach(endIdleWorkers);
  afterEach(endIdleWorkers);

  it("starts one idle worker, which the next call uses", async () => {
    prewarmWorker(PROBE);
    const prewarmed = idleWorkerThreads(PROBE);
    prewarmWorker(PROBE); // An idle worker is already there: no second one.
    assert.deepEqual(idleWorkerThreads(PROBE), prewarmed);
    assert.equal(prewarmed.length, 1);
    const pending = probe();
    assert.deepEqual(idleWorkerThreads(PROBE), []); // Taken by the call.
    assert.equal((await pending).threadId, prewarmed[0]);
    assert.deepEqual(idleWorkerThreads(PROBE), prewarmed); // Back in the pool for the next call.
  });

  it("a call without pre-warm starts its own worker", async () => {
    assert.deepEqual(idleWorkerThreads(PROBE), []);
    const { threadId } = await probe();
    assert.deepEqual(idleWorkerThreads(PROBE), [threadId]);
  });

  it("a pre-warmed idle worker does not keep the process alive", async () => {
    const { stdout } = await promisify(execFile)(process.execPath, ["--import", import.meta.resolve("tsx/esm"), EXIT_SCRIPT], {
      timeout: 60_000,
    });
    assert.equal(stdout.trim(), "idle 1");
  });

  it("a worker that fails to start is reported by the call that needs the program, as a hardhat-flai error", async () => {
    prewarmWorker(BROKEN);
    const error = await errorOf(() => runWorker(BROKEN, null, 30_000, "Probing the broken program"));
    assert.ok(isFlaiError(error));
    assert.match(error.message, /Probing the broken program crashed: broken enclave program: failed while loading/);
    assert.deepEqual(idleWorkerThreads(BROKEN), []);
  });

  it("a pre-warmed worker that failed while idle leaves the pool; the next call still reports the failure", async () => {
    prewarmWorker(BROKEN);
    while (idleWorkerThreads(BROKEN).length > 0) await new Promise((resolve) => setTimeout(resolve, 10));
    const error = await errorOf(() => runWorker(BROKEN, null, 30_000, "Probing again"));
    assert.match(error.message, /Probing again crashed: broken enclave program/);
  });
});
