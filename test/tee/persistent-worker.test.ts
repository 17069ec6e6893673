import assert from "node:assert/strict";

import { computeRoot } from "../../src/storage/merkle.js";
import { loadOrCreateIdentity } from "../../src/tee/identity.js";
import { runWorker } from "../../src/tee/run-worker.js";
import { cachedParse, parseVerified } from "../../src/tee/verified-cache.js";

import { tempDir } from "../helpers/project.js";

const mismatch = () => new Error("not the committed root");

describe("enclave worker state between calls", () => {
  describe("parseVerified: bytes kept by the root this worker checked", () => {
    it("parses once for the same bytes (a fresh copy each call), and still refuses other bytes under that root", () => {
      const bytes = new TextEncoder().encode(JSON.stringify({ rows: [1, 2, 3], tag: "parse-once" }));
      const root = computeRoot(bytes);
      let parses = 0;
      const parse = (b: Uint8Array) => {
        parses++;
        return JSON.parse(new TextDecoder().decode(b)) as unknown;
      };
      const first = parseVerified(root, bytes, "k", parse, mismatch);
      const second = parseVerified(root, new Uint8Array(bytes), "k", parse, mismatch);
      assert.equal(parses, 1);
      assert.equal(second, first);

      // Same length, one byte changed: a cache hit would let it in; the root check must refuse it.
      const altered = new Uint8Array(bytes);
      altered[altered.length - 3]! ^= 1;
      assert.throws(() => parseVerified(root, altered, "k", parse, mismatch), /not the committed root/);
      // Shorter bytes (a prefix) under the cached root are refused too.
      assert.throws(() => parseVerified(root, bytes.subarray(0, bytes.length - 1), "k", parse, mismatch), /not the committed root/);
      assert.equal(parses, 1);
    });

    it("a different parse key (how the task reads data) parses again; bytes never seen are rooted, not trusted", () => {
      const bytes = new TextEncoder().encode('{"parse":"key"}');
      const root = computeRoot(bytes);
      let parses = 0;
      const parse = (b: Uint8Array) => (parses++, b.length);
      parseVerified(root, bytes, "classes:[0,1]", parse, mismatch);
      parseVerified(root, bytes, "classes:[1,0]", parse, mismatch);
      assert.equal(parses, 2);
      const other = new TextEncoder().encode('{"parse":"kez"}');
      assert.throws(() => parseVerified(root, other, "classes:[2,3]", parse, mismatch), /not the committed root/);
      assert.equal(parses, 2);
    });
  });

  describe("cachedParse: what a request without bytes may use", () => {
    it("only a parse of bytes this worker rooted itself, under the same root and parse key", () => {
      const bytes = new TextEncoder().encode('{"cached":"parse"}');
      const root = computeRoot(bytes);
      assert.equal(cachedParse(root, "k"), undefined);
      const parsed = parseVerified(root, bytes, "k", (b) => ({ length: b.length }), mismatch);
      assert.equal(cachedParse(root, "k"), parsed);
      assert.equal(cachedParse(root, "other key"), undefined);
      // Bytes refused under a root leave nothing behind for it.
      const other = new TextEncoder().encode('{"never":"rooted"}');
      assert.throws(() => parseVerified(computeRoot(bytes.subarray(1)), other, "k", () => 1, mismatch), /not the committed root/);
      assert.equal(cachedParse(computeRoot(bytes.subarray(1)), "k"), undefined);
    });
  });

  describe("runWorker: one worker per program, reused", () => {
    it("serves repeated calls with the same answer, and parallel calls each their own", async () => {
      const dir = await tempDir();
      const identity = await loadOrCreateIdentity(dir);
      type Keys = { signer: string; encryptionKey: string };
      const first = await runWorker<Keys>("attest-worker", { enclaveDir: dir }, 60_000, "Attesting");
      const second = await runWorker<Keys>("attest-worker", { enclaveDir: dir }, 60_000, "Attesting");
      assert.deepEqual(second, first);
      assert.equal(first.signer.toLowerCase(), identity.signer.toLowerCase());

      // Calls in parallel each get a worker; the answers do not mix.
      const other = await tempDir();
      const otherIdentity = await loadOrCreateIdentity(other);
      const [a, b] = await Promise.all([
        runWorker<Keys>("attest-worker", { enclaveDir: dir }, 60_000, "Attesting"),
        runWorker<Keys>("attest-worker", { enclaveDir: other }, 60_000, "Attesting"),
      ]);
      assert.equal(a.signer.toLowerCase(), identity.signer.toLowerCase());
      assert.equal(b.signer.toLowerCase(), otherIdentity.signer.toLowerCase());
    });

    it("a user error inside the enclave comes back as that call's error, and the worker serves the next call", async () => {
      const missing = await tempDir();
      await assert.rejects(runWorker("attest-worker", { enclaveDir: missing }, 60_000, "Attesting"), /sealed keys .* are missing/);
      const dir = await tempDir();
      const identity = await loadOrCreateIdentity(dir);
      const keys = await runWorker<{ signer: string }>("attest-worker", { enclaveDir: dir }, 60_000, "Attesting");
      assert.equal(keys.signer.toLowerCase(), identity.signer.toLowerCase());
    });
  });
});
