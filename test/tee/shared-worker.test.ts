// One enclave worker thread serves every enclave program (run-worker.ts, worker-entry.ts): a program is
// loaded into an idle worker on its first call or pre-warm, so a process pays the worker start-up once
// (issue 14: a round's close, its aggregation and the attestation each started their own thread).
import assert from "node:assert/strict";

import { isFlaiError } from "../../src/errors.js";
import { loadOrCreateIdentity } from "../../src/tee/identity.js";
import { endIdleWorkers, idleWorkerThreads, prewarmWorker, runWorker } from "../../src/tee/run-worker.js";

import { PROBE } from "../helpers/prewarm-exit.js";
import { errorOf, tempDir } from "../helpers/project.js";

const BYTES = "../../test/helpers/bytes-worker";
const BROKEN = "../../test/helpers/broken-worker";
const NO_PROGRAM = "../../test/helpers/no-program-worker";

const probe = () => runWorker<{ threadId: number }>(PROBE, null, 30_000, "probe");

describe("enclave workers: one thread serves every program", function () {
  this.timeout(60_000);
  beforeEach(endIdleWorkers);
  afterEach(endIdleWorkers);

  it("sequential calls of different programs run in one worker, each answered by its own program", async () => {
    const { threadId } = await probe();
    const digests = await runWorker<{ length: number }[]>(BYTES, [new Uint8Array(3)], 30_000, "bytes");
    assert.deepEqual(
      digests.map((d) => d.length),
      [3],
    );
    const dir = await tempDir();
    const identity = await loadOrCreateIdentity(dir);
    const keys = await runWorker<{ signer: string }>("attest-worker", { enclaveDir: dir }, 30_000, "Attesting");
    assert.equal(keys.signer.toLowerCase(), identity.signer.toLowerCase());
    assert.equal((await probe()).threadId, threadId);
    assert.deepEqual(idleWorkerThreads(PROBE), [threadId]);
    assert.deepEqual(idleWorkerThreads(BYTES), [threadId]);
    assert.deepEqual(idleWorkerThreads("attest-worker"), [threadId]);
  });

  it("pre-warming a program loads it into the idle worker instead of starting another thread", async () => {
    const { threadId } = await probe();
    assert.deepEqual(idleWorkerThreads(BYTES), []);
    prewarmWorker(BYTES);
    assert.deepEqual(idleWorkerThreads(BYTES), [threadId]);
    prewarmWorker(BYTES); // Loaded (or loading) already: nothing more.
    const [digest] = await runWorker<{ length: number }[]>(BYTES, [new Uint8Array(5)], 30_000, "bytes");
    assert.equal(digest!.length, 5);
    assert.deepEqual(idleWorkerThreads(PROBE), [threadId]);
  });

  it("parallel calls still get a worker each", async () => {
    const [a, b] = await Promise.all([probe(), probe()]);
    assert.notEqual(a.threadId, b.threadId);
  });

  it("a module that registers no program, or fails to load, ends its worker; the others keep serving", async () => {
    const { threadId } = await probe();
    const none = await errorOf(() => runWorker(NO_PROGRAM, null, 30_000, "Calling a module"));
    assert.ok(isFlaiError(none));
    assert.match(none.message, /Calling a module crashed: .*no-program-worker\.ts is not an enclave program: it registers none/);
    assert.deepEqual(idleWorkerThreads(PROBE), [], "the probe's worker served the failed call and was ended");
    const broken = await errorOf(() => runWorker(BROKEN, null, 30_000, "Probing the broken program"));
    assert.match(broken.message, /Probing the broken program crashed: broken enclave program: failed while loading/);
    const again = await probe();
    assert.notEqual(again.threadId, threadId);
  });
});
