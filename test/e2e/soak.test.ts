// The soak test (issue 15): 200 uploads/downloads through the real 0G SDK against the storage
// devnet, then 50 federated client rounds (5 clients × 10 rounds) stored there too, with random
// faults between and within operations: storage nodes restarted (same port, same folder),
// connections reset mid-answer, answers trickled. Every failure must be a plugin error within a
// bound, a failed operation succeeds when retried once after the fault clears, and the run ends with
// every stored root downloading and re-rooting to itself, no temp file, no child process, no server.
// Seeded: FLAI_SOAK_SEED=<n> replays a run's sizes, contents and fault schedule (which of a batch's
// connections a fault hits still depends on the order they are opened in).
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";

import { expect } from "chai";

import type { FlaiConfig } from "../../src/config.js";
import { flaiError } from "../../src/errors.js";
import { zeroGStorageFor } from "../../src/storage/create.js";
import { computeFileRoot, computeRoot, SEGMENT_SIZE } from "../../src/storage/merkle.js";
import type { StorageBackend } from "../../src/storage/types.js";
import type { ZeroGStorage } from "../../src/storage/zerog.js";
import { trackedTempFiles } from "../../src/util/cleanup.js";
import { mulberry32, seededBytes } from "../../src/util/prng.js";

import { recordThrown } from "../helpers/error-output.js";
import { federatedFixture, type FederatedFixture, readersOf } from "../helpers/federated.js";
import type { ConnectionFault } from "../helpers/net.js";
import { FIXTURES, tempDir } from "../helpers/project.js";
import {
  bounded,
  childPids,
  describeError,
  describePid,
  isAlive,
  startFaultyDevnet,
  tempFilesUnder,
  type FaultyDevnet,
  type Outcome,
} from "../helpers/soak.js";

const SEED = seedFrom(process.env.FLAI_SOAK_SEED);

/** The seed FLAI_SOAK_SEED names (an integer), or the default one. */
function seedFrom(text: string | undefined): number {
  if (text === undefined) return 20261205;
  const seed = Number(text);
  if (!Number.isSafeInteger(seed)) throw new Error(`FLAI_SOAK_SEED must be an integer, got ${JSON.stringify(text)}`);
  return seed;
}

/** Each request gets 4 s / (1 + 2 retries) ≈ 1.3 s; a call makes no progress for 4 s at most before it fails. */
const STORAGE = { backend: "0g", timeoutSeconds: 4, retries: 2 } as const;
/** Longer than any call may take under its own stall timeout: beyond it, the call hangs. */
const OP_BOUND_MS = 30_000;
const TRANSFERS = 200;
const CONCURRENCY = 8;
/** The storage lanes' payers are signers PAYERS … PAYERS + CONCURRENCY − 1 (the clients are signers 1 … CLIENTS). */
const PAYERS = 10;
const CLIENTS = 5;
const ROUNDS = 10;

/**
 * Prints a line of the soak's summary. Not console.log: the 0G SDK's log lines are silenced by
 * replacing console.log while any SDK call runs (util/sdk-console), so a line printed meanwhile,
 * even by code that is not the SDK, would be swallowed.
 */
function log(line: string): void {
  process.stdout.write(`${line}\n`);
}

/** The faults of one batch of operations. */
type Plan =
  { kind: "none" } | { kind: "reset" | "slow"; share: number } | { kind: "restart"; shard: number; afterMs: number; downMs: number };

function planFrom(rand: () => number): Plan {
  const r = rand();
  if (r < 0.5) return { kind: "none" };
  if (r < 0.68) return { kind: "reset", share: 0.2 + 0.3 * rand() };
  if (r < 0.84) return { kind: "slow", share: 0.2 + 0.4 * rand() };
  return { kind: "restart", shard: Math.floor(rand() * 2), afterMs: Math.floor(rand() * 250), downMs: 30 + Math.floor(rand() * 200) };
}

/** A file size: mostly small (within one segment, most of them under 64 KiB), some of two or three segments, a few of four to nine. */
function sizeFrom(rand: () => number): number {
  const r = rand();
  if (r < 0.7) return 1 + Math.floor(rand() * 64 * 1024);
  if (r < 0.85) return 64 * 1024 + 1 + Math.floor(rand() * (SEGMENT_SIZE - 64 * 1024));
  if (r < 0.97) return SEGMENT_SIZE + 1 + Math.floor(rand() * 2 * SEGMENT_SIZE);
  return 3 * SEGMENT_SIZE + 1 + Math.floor(rand() * 6 * SEGMENT_SIZE);
}

describe("soak: 0G storage and federated rounds under random faults (issue 15)", function () {
  this.timeout(240_000);
  let fx: FederatedFixture;
  let rig: FaultyDevnet;
  let storage: ZeroGStorage;
  let config: FlaiConfig;
  let work: string;
  let childrenBefore: number[];
  let savedTmpdir: string | undefined;
  /** console.log as it was before any SDK call silenced it (util/sdk-console restores it after each call). */
  const consoleLog = console.log;
  const stored: Array<{ root: string; bytes: Uint8Array }> = [];
  /** Plugin errors seen under faults, by the first line of their message (for the log). */
  const seen = new Map<string, number>();

  before(async () => {
    log(`      soak seed ${SEED} (replay: FLAI_SOAK_SEED=${SEED} npx hardhat test mocha test/e2e/soak.test.ts)`);
    childrenBefore = await childPids();
    work = await tempDir("flai-soak-");
    // os.tmpdir() follows TMPDIR: the uploads' and reads' temp files (and the project) go to a folder
    // of this test's own, so a leftover is told apart from other programs' files in the shared /tmp.
    savedTmpdir = process.env.TMPDIR;
    process.env.TMPDIR = path.join(work, "tmp");
    await mkdir(process.env.TMPDIR);
    fx = await federatedFixture({ holdout: 21, split: 22 }, CLIENTS);
    rig = await startFaultyDevnet(fx.connection, path.join(work, "devnet"));
    config = { ...fx.hre.config.flai, storage: { ...fx.hre.config.flai.storage, ...STORAGE } };
    storage = await zeroGStorageFor(fx.connection, config, { indexerUrl: rig.url });
    await mkdir(path.join(work, "in"));
    await mkdir(path.join(work, "out"));
  });

  after(async () => {
    await rig?.close();
    if (savedTmpdir === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = savedTmpdir;
    // ~100 MB of inputs, downloads and devnet data per run; the seed replays a run that failed.
    if (work !== undefined) await rm(work, { recursive: true, force: true });
  });

  /** Applies a batch's connection faults; a restart is started by the batch itself. */
  function applyFaults(plan: Plan, rand: () => number): void {
    if (plan.kind === "reset" || plan.kind === "slow") {
      rig.setFaults((): ConnectionFault => (rand() < plan.share ? plan.kind : "pass"));
    } else {
      rig.setFaults(() => "pass");
    }
  }

  /** A node restart `afterMs` into the batch, if the plan has one. */
  function startRestart(plan: Plan): Promise<void> | undefined {
    if (plan.kind !== "restart") return undefined;
    return new Promise((resolve) => setTimeout(resolve, plan.afterMs)).then(() => rig.restartNode(plan.shard, plan.downMs));
  }

  /** Fails the test with every outcome that was not a plugin error (a crash, a hang, a TypeError…). */
  function expectOnlyFlaiErrors(outcomes: Array<Outcome<unknown>>, where: string): void {
    const bad = outcomes.filter((o): o is Outcome<unknown> & { ok: false } => !o.ok && !o.flai);
    expect(
      bad.map((o) => describeError(o.error)),
      `${where} (seed ${SEED}): not plugin errors`,
    ).to.deep.equal([]);
    for (const o of outcomes) {
      if (!o.ok) {
        // What a user would see from these errors goes through the suite's error-output scan too.
        recordThrown(o.error);
        const line = (o.error as Error).message
          .split("\n")[0]!
          .replace(/0x[0-9a-fA-F]{8,}/g, "0x…")
          .replace(/http:\/\/127\.0\.0\.1:\d+/g, "<url>")
          .replace(/\/\S+\/(file-\d+\.bin|flai-upload-\w+)/g, "<file>")
          .replace(/ \(SDK: .*/, "")
          .slice(0, 160);
        seen.set(line, (seen.get(line) ?? 0) + 1);
      }
    }
  }

  it(`${TRANSFERS} uploads and downloads: failures are plugin errors, each succeeds when retried once`, async () => {
    const rand = mulberry32(SEED);
    const faultRand = mulberry32(SEED ^ 0x5eed);
    let failed = 0;
    for (let start = 0; start < TRANSFERS; start += CONCURRENCY) {
      const plan = planFrom(rand);
      applyFaults(plan, faultRand);
      const batch = Array.from({ length: Math.min(CONCURRENCY, TRANSFERS - start) }, (_, k) => {
        const i = start + k;
        // Each lane pays from its own account, so the batch's uploads do not queue behind one nonce.
        return { i, bytes: seededBytes(sizeFrom(rand), SEED + i), fromFile: rand() < 0.5, payer: fx.signers[PAYERS + k]! };
      });
      const transfer = async ({ i, bytes, fromFile, payer }: (typeof batch)[number], attempt: number) => {
        const input = fromFile ? path.join(work, "in", `file-${i}.bin`) : bytes;
        if (typeof input === "string") await writeFile(input, bytes);
        const { root } = await storage.upload(input, { payer });
        const dest = path.join(work, "out", `file-${i}.${attempt}.bin`);
        await storage.download(root, dest);
        if (!(await readFile(dest)).equals(bytes)) throw new Error(`file ${i}: downloaded bytes differ from the upload`);
        return root;
      };
      const restart = startRestart(plan);
      const outcomes = await Promise.all(
        batch.map((t) => bounded(`transfer ${t.i} (${t.bytes.length} B)`, OP_BOUND_MS, () => transfer(t, 0))),
      );
      await restart;
      expectOnlyFlaiErrors(outcomes, `batch at ${start} under ${JSON.stringify(plan)}`);

      rig.setFaults(() => "pass");
      for (const [k, outcome] of outcomes.entries()) {
        const t = batch[k]!;
        let root = outcome.ok ? outcome.value : undefined;
        if (root === undefined) {
          failed++;
          const again = await bounded(`retry of transfer ${t.i}`, OP_BOUND_MS, () => transfer(t, 1));
          if (!again.ok) expect.fail(`transfer ${t.i} failed again with the faults cleared (seed ${SEED}): ${describeError(again.error)}`);
          root = again.value;
        }
        expect(root).to.equal(computeRoot(t.bytes));
        stored.push({ root, bytes: t.bytes });
      }
    }
    const counts = rig.proxies.reduce((sum, p) => ({ reset: sum.reset + p.counts.reset, slow: sum.slow + p.counts.slow }), {
      reset: 0,
      slow: 0,
    });
    log(
      `      ${TRANSFERS} transfers: ${failed} failed under faults and succeeded when retried; ${rig.restarts} node restarts, ` +
        `${counts.reset} connections reset, ${counts.slow} slowed`,
    );
    expect(stored).to.have.length(TRANSFERS);
  });

  it(`${CLIENTS} clients × ${ROUNDS} rounds stored on the faulty devnet: every round finalized, its model verifiable`, async () => {
    const rand = mulberry32(SEED ^ 0xfed);
    const faultRand = mulberry32(SEED ^ 0xfa17);
    // The task's evaluation set must be on the storage the enclave reads: the fixture's bytes, stored here too.
    const evaluation = await fx.hre.flai.storage.read(fx.evaluation);
    expect((await storage.upload(evaluation)).root).to.equal(fx.evaluation);
    const onDevnet = fx.hre.flai.withStorage(storage);
    const { task, initialModelRoot } = await onDevnet.fedavg.createTask({
      model: path.join(FIXTURES, "model.json"),
      evaluation: fx.evaluation,
      standardizeOn: fx.shares[0]!,
      rounds: ROUNDS,
      quorum: CLIENTS,
      reward: "1",
      clients: await readersOf(fx.hre, fx.connection, fx.signers.slice(1, 1 + CLIENTS)),
      connection: fx.connection,
    });
    const roots = [initialModelRoot];
    const tally = { ok: 0, retried: 0, crashed: 0, duplicates: 0, aggregationsRetried: 0 };
    for (let round = 1; round <= ROUNDS; round++) {
      // The round's clients submit together under one fault plan; one of them may die between its
      // upload and its recordUpdate (the upload done, the call abandoned) and is run again.
      const plan = planFrom(rand);
      const crashed = plan.kind === "none" && rand() < 0.5 ? Math.floor(rand() * CLIENTS) : -1;
      const clientOf = (i: number) => ({ taskId: task.id, data: fx.shares[i]!, signer: fx.signers[1 + i], connection: fx.connection });
      applyFaults(plan, faultRand);
      const restart = startRestart(plan);
      const firsts = await Promise.all(
        Array.from({ length: CLIENTS }, (_, i) => {
          const via = i === crashed ? fx.hre.flai.withStorage(crashingAfterUpload(storage)) : onDevnet;
          return bounded(`round ${round} client ${i}`, OP_BOUND_MS, () => via.fedavg.runClient(clientOf(i)));
        }),
      );
      await restart;
      rig.setFaults(() => "pass");
      if (crashed >= 0) expect(firsts[crashed]!.ok, "the crashing client's call must fail").to.equal(false);
      expectOnlyFlaiErrors(
        firsts.filter((_, i) => i !== crashed),
        `round ${round}'s clients under ${JSON.stringify(plan)}`,
      );
      for (const [i, first] of firsts.entries()) {
        if (first.ok) {
          tally.ok++;
          continue;
        }
        const again = await bounded(`retry of round ${round} client ${i}`, OP_BOUND_MS, () => onDevnet.fedavg.runClient(clientOf(i)));
        if (!again.ok)
          expect.fail(`round ${round} client ${i} failed again with the faults cleared (seed ${SEED}): ${describeError(again.error)}`);
        if (i === crashed) tally.crashed++;
        else tally.retried++;
      }
      // A client that submits twice to a round is refused by a plugin error, not a revert's stack trace.
      if (rand() < 0.3) {
        const i = Math.floor(rand() * CLIENTS);
        const twice = await bounded(`second submit of round ${round} client ${i}`, OP_BOUND_MS, () =>
          onDevnet.fedavg.runClient(clientOf(i)),
        );
        expect(twice.ok, "a second submit to the same round must be refused").to.equal(false);
        expectOnlyFlaiErrors([twice], `second submit of round ${round} client ${i}`);
        tally.duplicates++;
      }
      // Aggregated under faults too. A transient read failure of an update makes the enclave reject it
      // as "unavailable", like a missing one: here every round has exactly its quorum of updates, so
      // such a rejection fails the aggregation (quorum not met) and the retry must accept all of them.
      // With more updates than the quorum the round would be finalized without the honest update
      // (found by this soak; reported, not fixed here).
      const aggPlan = planFrom(rand);
      applyFaults(aggPlan, faultRand);
      const aggRestart = startRestart(aggPlan);
      const aggregate = () => onDevnet.fedavg.aggregate({ taskId: task.id, connection: fx.connection });
      let agg = await bounded(`aggregation of round ${round}`, OP_BOUND_MS * 2, aggregate);
      await aggRestart;
      rig.setFaults(() => "pass");
      expectOnlyFlaiErrors([agg], `aggregation of round ${round} under ${JSON.stringify(aggPlan)}`);
      if (!agg.ok) {
        tally.aggregationsRetried++;
        agg = await bounded(`retry of aggregation ${round}`, OP_BOUND_MS * 2, aggregate);
      }
      if (!agg.ok)
        expect.fail(`round ${round}'s aggregation failed again with the faults cleared (seed ${SEED}): ${describeError(agg.error)}`);
      expect(agg.value.accepted, `round ${round}`).to.have.length(CLIENTS);
      roots.push(agg.value.globalRoot);
    }
    log(
      `      ${CLIENTS * ROUNDS} client rounds: ${tally.ok} first time, ${tally.retried} retried after a fault, ` +
        `${tally.crashed} crashed after the upload and re-run, ${tally.duplicates} duplicate submits refused; ` +
        `${tally.aggregationsRetried} of ${ROUNDS} aggregations failed under faults and succeeded when retried`,
    );
    const view = await onDevnet.fedavg.task(task.id, { connection: fx.connection });
    expect(view.status).to.equal("finished");
    const model = await onDevnet.fedavg.globalModel(task.id, { connection: fx.connection });
    expect(model.round).to.equal(ROUNDS);
    for (const root of roots) stored.push({ root, bytes: await storage.read(root) });
  });

  it("ends with every stored root verifiable, no temp file, no child process, no server", async () => {
    // Every root downloads again, its file re-roots to it, and its bytes are the ones stored.
    const check = path.join(work, "check");
    await mkdir(check);
    for (let start = 0; start < stored.length; start += 16) {
      await Promise.all(
        stored.slice(start, start + 16).map(async ({ root, bytes }, k) => {
          const dest = path.join(check, `${start + k}.bin`);
          await storage.download(root, dest);
          expect(await computeFileRoot(dest)).to.equal(root);
          expect((await readFile(dest)).equals(bytes), root).to.equal(true);
        }),
      );
    }
    log(`      ${stored.length} stored roots re-downloaded and verified; plugin errors seen under faults:`);
    for (const [line, n] of [...seen].sort((a, b) => b[1] - a[1])) log(`        ${n} × ${line}`);

    await rig.close();
    expect(console.log === consoleLog, "console.log is still replaced by an SDK call's silencing").to.equal(true);
    expect(trackedTempFiles(), "temp files still registered for cleanup").to.deep.equal([]);
    // The soak's folder holds its os.tmpdir() (transfer temp files, the project and its .flai), the
    // devnet's data folders, the inputs and the downloads.
    expect(fx.root.startsWith(work), "the project is inside the soak's folder").to.equal(true);
    expect(await tempFilesUnder(work), "temp files left in the soak's folders").to.deep.equal([]);
    // esbuild's service is the TypeScript loader's (tsx compiles the enclave worker's modules through
    // it when a worker thread first loads them); it lives as long as this process, by design.
    const orphans = (await childPids()).filter((pid) => !childrenBefore.includes(pid) && isAlive(pid));
    const described = await Promise.all(orphans.map(describePid));
    expect(
      described.filter((d) => !/\/esbuild --service=/.test(d)),
      "child processes still running",
    ).to.deep.equal([]);
    for (const url of rig.serverUrls) await expectRefused(url);
  });
});

/** Storage whose uploads complete and then fail, as a client process killed right after its upload would. */
function crashingAfterUpload(inner: StorageBackend): StorageBackend {
  return {
    kind: inner.kind,
    upload: async (input, opts) => {
      await inner.upload(input, opts);
      throw flaiError("simulated crash: the client died after its upload, before recording the update");
    },
    download: (root, dest, opts) => inner.download(root, dest, opts),
    read: (root) => inner.read(root),
    has: (root) => inner.has(root),
  };
}

/** The server at `url` is closed: a connection is refused. */
async function expectRefused(url: string): Promise<void> {
  const answered = await fetch(url, { method: "POST", body: "{}" }).then(
    () => true,
    () => false,
  );
  expect(answered, `${url} still answers`).to.equal(false);
}
