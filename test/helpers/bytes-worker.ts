// An enclave-worker program for test/tee/transfer.test.ts: replies with the SHA-256 and length of every
// byte array it was handed, so a test can tell that moved and copied bytes arrive the same.
import { createHash } from "node:crypto";
import { isMainThread } from "node:worker_threads";

import { serveWorker } from "../../src/tee/worker-entry.js";

const digest = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");

if (!isMainThread) serveWorker(async (arrays: Uint8Array[]) => arrays.map((a) => ({ sha256: digest(a), length: a.byteLength })));
