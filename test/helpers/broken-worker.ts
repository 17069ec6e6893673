// An enclave-worker program whose start fails (test/tee/prewarm.test.ts): loading it in a worker
// thread throws, as a program with a broken import would.
import { isMainThread } from "node:worker_threads";

if (!isMainThread) throw new Error("broken enclave program: failed while loading");
