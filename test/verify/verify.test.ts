import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

import { expect } from "chai";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/types";
import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import type { FlaiConnection } from "../../src/chain/connection.js";
import { holdoutSplit, partitionDataset } from "../../src/federated/partition.js";
import { datasetJson } from "../../src/federated/simulation.js";
import { parseDataset, type Dataset } from "../../src/ml/dataset.js";
import { modelBytes, parseModelSpec, resultHash, trainFromSpec } from "../../src/ml/model.js";
import { TeeSim } from "../../src/tee/enclave.js";
import { ENCRYPTED, overallVerdict, type VerifyItem } from "../../src/verify/common.js";
import { verifyJob } from "../../src/verify/jobs.js";
import { verifyRound } from "../../src/verify/rounds.js";
import verifyTask from "../../src/tasks/verify.js";

import { expectFlaiError } from "../helpers/assert.js";
import { FIXTURES, tempDir, tempProject } from "../helpers/project.js";
import { readersOf } from "../helpers/federated.js";

const DATA = path.join(FIXTURES, "data.json");
const MODEL = path.join(FIXTURES, "model.json");
const SCRIPT = path.resolve(import.meta.dirname, "..", "fixtures-scripts", "train-hash.ts");

const byName = (items: VerifyItem[], name: string) => {
  const found = items.find((i) => i.item === name);
  expect(found, `no item "${name}" in ${items.map((i) => i.item).join(", ")}`).to.not.equal(undefined);
  return found!;
};
const show = (items: VerifyItem[]) => items.map((i) => `${i.verdict}: ${i.item}: ${i.detail}`).join("\n");

/** Runs the task action with console output captured. */
async function runTask(
  hre: HardhatRuntimeEnvironment,
  args: Partial<{ job: string; task: string; round: string; account: string; json: boolean }>,
) {
  const lines: string[] = [];
  const log = console.log;
  console.log = (line: string) => lines.push(line);
  try {
    await verifyTask({ json: false, ...args }, hre);
    return { lines, error: undefined };
  } catch (error) {
    return { lines, error: error as Error };
  } finally {
    console.log = log;
  }
}

describe("verify: training re-executes deterministically", function () {
  this.timeout(120_000);

  it("gives the same result hash in two separate Node processes and in this one", async () => {
    // As the project runs TypeScript workers (src/tee/run-worker.ts): node with tsx's ESM loader.
    const tsx = import.meta.resolve("tsx/esm");
    const run = () =>
      promisify(execFile)(process.execPath, ["--import", tsx, SCRIPT], { cwd: path.dirname(fileURLToPath(import.meta.url)) });
    const [a, b] = await Promise.all([run(), run()]);
    const dataset = parseDataset(await readFile(DATA), "data.json");
    const spec = parseModelSpec(await readFile(MODEL), "model.json");
    const here = resultHash(
      modelBytes(trainFromSpec(spec, dataset, { datasetRoot: "0x" + "11".repeat(32), modelRoot: "0x" + "22".repeat(32) })),
    );
    expect(a.stdout.trim()).to.match(/^0x[0-9a-f]{64}$/);
    expect(a.stdout.trim()).to.equal(b.stdout.trim());
    expect(a.stdout.trim()).to.equal(here);
  });
});

describe("verify: compute jobs", function () {
  this.timeout(120_000);
  let hre: HardhatRuntimeEnvironment;
  let connection: FlaiConnection;
  let jobId: bigint;
  let dataRoot: string;

  before(async () => {
    ({ hre } = await tempProject());
    // The default connection, so the task action (which uses --network's) sees the same chain.
    connection = await hre.network.getOrCreate();
    await hre.flai.jobs.registerEnclave({ connection });
    const submitted = await hre.flai.jobs.submit({ data: DATA, model: MODEL, reward: "0.01", connection });
    await hre.flai.jobs.complete(await hre.flai.jobs.train(submitted.job.id, { connection }), { connection });
    jobId = submitted.job.id;
    dataRoot = submitted.data.root;
  });

  it("a completed (private) job verifies with the submitter's key: every item matches", async () => {
    const items = await verifyJob(hre, hre.flai, jobId, { connection, account: 0 });
    expect(overallVerdict(items), show(items)).to.equal("match");
    for (const name of [
      "job completed",
      "data input",
      "model input",
      "re-execution",
      "stored model",
      "model hash",
      "JobCompleted event",
      "enclave signature",
      "enclave registration",
      "enclave attestation",
      "enclave code",
    ]) {
      expect(byName(items, name).verdict, show(items)).to.equal("match");
    }
    const job = await hre.flai.jobs.get(jobId, { connection });
    expect(byName(items, "re-execution").detail).to.contain(job.resultHash);
    // the signature is checked over the job's whole record, and the registration against the pinned authority
    expect(byName(items, "enclave signature").detail).to.contain(`submitter ${job.submitter}, deadline ${job.deadline}`);
    expect(byName(items, "enclave attestation").detail).to.contain("the attestation authority FLAIComputeJobs pins");
  });

  it("without the submitter's key, the model hash and re-execution are 'cannot check: encrypted' (by code), the rest matches", async () => {
    for (const account of [undefined, 1]) {
      const items = await verifyJob(hre, hre.flai, jobId, { connection, account });
      const encrypted = items.filter((i) => i.code === ENCRYPTED).map((i) => i.item);
      expect(encrypted, show(items)).to.deep.equal(["re-execution", "model hash"]);
      for (const i of items.filter((x) => x.code !== ENCRYPTED)) expect(i.verdict, show(items)).to.equal("match");
      expect(byName(items, "model hash").detail).to.match(account === undefined ? /^encrypted: .*--account/ : /is not the submitter/);
      expect(overallVerdict(items)).to.equal("cannot check");
    }
    const { lines, error } = await runTask(hre, { job: String(jobId) });
    expect(error).to.equal(undefined);
    expect(
      lines.some((l) => l.includes("model hash: encrypted:")),
      lines.join("\n"),
    ).to.equal(true);
    const full = await runTask(hre, { job: String(jobId), account: "0" });
    expect(full.lines.at(-1)).to.match(/Verified: every one of the \d+ checks matches/);
  });

  it("a public job verifies fully without any key", async () => {
    const submitted = await hre.flai.jobs.submit({ data: DATA, model: MODEL, reward: "0.01", public: true, connection });
    await hre.flai.jobs.complete(await hre.flai.jobs.train(submitted.job.id, { connection }), { connection });
    const items = await verifyJob(hre, hre.flai, submitted.job.id, { connection });
    expect(overallVerdict(items), show(items)).to.equal("match");
    expect(byName(items, "model hash").detail).to.contain("stored (public) model");
  });

  it("a stored input overwritten with other bytes is a mismatch naming its root", async () => {
    const object = path.join(hre.config.flai.storage.path, dataRoot.slice(2));
    const original = await readFile(object);
    await writeFile(object, Buffer.from(JSON.stringify({ features: [[1, 2, 3, 4, 5, 6, 7, 8]], labels: [1] })));
    try {
      const items = await verifyJob(hre, hre.flai, jobId, { connection });
      const data = byName(items, "data input");
      expect(data.verdict).to.equal("mismatch");
      expect(data.detail).to.contain(dataRoot);
      expect(byName(items, "re-execution").verdict).to.equal("cannot check");
      expect(overallVerdict(items)).to.equal("mismatch");

      const { lines, error } = await runTask(hre, { job: String(jobId) });
      expect(
        lines.some((l) => l.includes("✗") && l.includes("data input") && l.includes(dataRoot)),
        lines.join("\n"),
      ).to.equal(true);
      expect(error?.message).to.match(/Verification of job \d+ failed: data input/);
    } finally {
      await writeFile(object, original);
    }
  });

  it("an open job has nothing to verify yet, which is no mismatch", async () => {
    const open = await hre.flai.jobs.submit({ data: DATA, model: MODEL, reward: "0.01", connection });
    const items = await verifyJob(hre, hre.flai, open.job.id, { connection });
    expect(overallVerdict(items), show(items)).to.equal("cannot check");
    expect(byName(items, "job completed").verdict).to.equal("cannot check");
    expect(byName(items, "data input").verdict).to.equal("match");
  });

  it("the task prints one line per item and a verdict; --json gives one document", async () => {
    const text = await runTask(hre, { job: String(jobId), account: "0" });
    expect(text.error).to.equal(undefined);
    expect(text.lines.filter((l) => l.includes("✔")).length).to.be.greaterThan(5);
    expect(text.lines.at(-1)).to.match(/Verified: every one of the \d+ checks matches/);

    const json = await runTask(hre, { job: String(jobId), account: "0", json: true });
    expect(json.lines).to.have.length(1);
    const doc = JSON.parse(json.lines[0]!) as { verdict: string; items: VerifyItem[] };
    expect(doc.verdict).to.equal("match");
  });

  it("the task needs exactly one of --job and --task; unknown jobs are named", async () => {
    await expectFlaiError(() => verifyTask({ json: false }, hre), "--job <id>", "--task <id>");
    await expectFlaiError(() => verifyTask({ job: "1", task: "1", json: false }, hre), "not both");
    await expectFlaiError(() => verifyTask({ job: "1", round: "2", json: false }, hre), "--round");
    await expectFlaiError(() => verifyJob(hre, hre.flai, 999, { connection }), "Job 999 does not exist");
    await expectFlaiError(() => verifyJob(hre, hre.flai, "x", { connection }), "whole number");
  });
});

describe("verify: federated rounds", function () {
  this.timeout(300_000);
  let hre: HardhatRuntimeEnvironment;
  let connection: FlaiConnection;
  let taskId: bigint;
  let reportRoot: string;

  before(async () => {
    ({ hre } = await tempProject());
    connection = await hre.network.getOrCreate();
    const all = parseDataset(await readFile(DATA), "data.json");
    const { train, test } = holdoutSplit(all, 0.25, 1);
    const clients: Dataset[] = partitionDataset(train, 2, { scheme: "iid", seed: 2 });
    const evaluation = path.join(await tempDir(), "holdout.json");
    await writeFile(evaluation, datasetJson(test));
    const { fedavg } = hre.flai;
    const signers: HardhatEthersSigner[] = (await connection.ethers.getSigners()).slice(1, 4);
    // Two clients a round: below the default minimum of 3 accepted updates, so allowed explicitly.
    // Private (the default): the two training clients are admitted; the faulty one never reads the model.
    const created = await fedavg.createTask({
      model: MODEL,
      evaluation,
      standardizeOn: clients[0]!,
      rounds: 2,
      quorum: 2,
      reward: "0.2",
      rules: { minAccepted: 2 },
      clients: await readersOf(hre, connection, signers.slice(0, 2)),
      connection,
    });
    taskId = created.task.id;
    for (let round = 1; round <= 2; round++) {
      for (let i = 0; i < 2; i++) {
        await fedavg.runClient({ taskId, data: clients[i]!, signer: signers[i], connection });
      }
      if (round === 1) {
        // A faulty client: bytes that are no sealed update, recorded with their true hash → rejected.
        await fedavg.submitCiphertext({ taskId, ciphertext: randomBytes(300), numExamples: 50, signer: signers[2], connection });
      }
      const agg = await fedavg.aggregate({ taskId, connection });
      expect(agg.rejected).to.have.length(round === 1 ? 1 : 0);
      if (round === 1) reportRoot = agg.reportRoot;
    }
  });

  it("every finalized round verifies, including re-running the aggregation with the sealed key", async () => {
    const items = await verifyRound(hre, hre.flai, taskId, undefined, { connection });
    expect(overallVerdict(items), show(items)).to.equal("match");
    for (const round of [1, 2]) {
      for (const name of [
        "RoundFinalized event",
        "global model",
        "model chain",
        "round report",
        "commitment",
        "updates accounted",
        "enclave signature",
        "enclave registration",
        "test score",
        "re-execution",
      ]) {
        expect(byName(items, `round ${round}: ${name}`).verdict, show(items)).to.equal("match");
      }
    }
    expect(items.filter((i) => /^round 1: update 0x/.test(i.item))).to.have.length(3);
    expect(items.find((i) => /^round 1: update 0x/.test(i.item) && i.detail.startsWith("rejected"))?.verdict).to.equal("match");
    expect(byName(items, "round 2: re-execution").detail).to.contain("byte-identical");
    // The task is private: its test set is stored sealed, and the re-run opened it as the enclave did.
    expect(byName(items, "round 2: re-execution").detail).to.contain("the encrypted test set opened with the task key");
    // fedavg's default drift correction: its correction is re-derived with the model.
    expect(byName(items, "round 2: re-execution").detail).to.contain(
      "drift correction in it re-derived from the 2 accepted updates' decrypted gradients",
    );
  });

  it("without the enclave's sealed key the aggregation cannot be re-run, and says why", async () => {
    const elsewhere = { ...hre.flai, teeSim: new TeeSim({ dir: await tempDir(), storage: hre.flai.storage, trainingTimeoutSeconds: 60 }) };
    const items = await verifyRound(hre, elsewhere, taskId, 1, { connection });
    const rerun = byName(items, "round 1: re-execution");
    expect(rerun.verdict).to.equal("cannot check");
    expect(rerun.detail).to.contain("encrypted updates need the enclave's sealed key (run on the enclave owner's machine)");
    expect(overallVerdict(items), show(items)).to.equal("cannot check");
    expect(items.every((i) => i.item.startsWith("round 1: "))).to.equal(true);
    // A private task: without a reader key, the plaintext checks are "cannot check: encrypted" (by code) …
    for (const name of ["global model", "model chain", "test score", "re-execution"]) {
      expect(byName(items, `round 1: ${name}`).code, show(items)).to.equal("encrypted");
    }
    // … while every root, signature, accumulator and commitment check is made as for a public task.
    for (const name of ["RoundFinalized event", "round report", "commitment", "update set", "enclave signature", "enclave registration"]) {
      expect(byName(items, `round 1: ${name}`).verdict, show(items)).to.equal("match");
    }
  });

  it("a private task's reader (--account) checks the plaintext: the models open and match the on-chain hashes", async () => {
    const elsewhere = { ...hre.flai, teeSim: new TeeSim({ dir: await tempDir(), storage: hre.flai.storage, trainingTimeoutSeconds: 60 }) };
    const items = await verifyRound(hre, elsewhere, taskId, undefined, { connection, account: 1 });
    for (const round of [1, 2]) {
      for (const name of ["global model", "model chain"]) {
        const item = byName(items, `round ${round}: ${name}`);
        expect(item.verdict, show(items)).to.equal("match");
      }
      expect(byName(items, `round ${round}: global model`).detail).to.contain("opened with the task key (account ");
      // The reader opens the sealed test set too, and re-scores the model on it.
      const score = byName(items, `round ${round}: test score`);
      expect(score.verdict, show(items)).to.equal("match");
      expect(score.detail).to.contain("opened with the task key (account ").and.contain("as the model's metrics say");
    }
    // Not admitted: as without a key, and saying why.
    const outsider = await verifyRound(hre, elsewhere, taskId, 1, { connection, account: 5 });
    expect(byName(outsider, "round 1: global model").code).to.equal("encrypted");
    expect(byName(outsider, "round 1: global model").detail).to.contain("is not admitted");
  });

  it("a tampered round report in storage is a mismatch", async () => {
    const object = path.join(hre.config.flai.storage.path, reportRoot.slice(2));
    const original = await readFile(object);
    const forged = Buffer.from(original.toString("utf8").replace(/"rejected":\[[^\]]*\]/, '"rejected":[]'));
    expect(forged.equals(original)).to.equal(false);
    await writeFile(object, forged);
    try {
      const items = await verifyRound(hre, hre.flai, taskId, 1, { connection });
      const report = byName(items, "round 1: round report");
      expect(report.verdict).to.equal("mismatch");
      expect(report.detail).to.contain(reportRoot);
      expect(overallVerdict(items)).to.equal("mismatch");

      const { lines, error } = await runTask(hre, { task: String(taskId), round: "1" });
      expect(
        lines.some((l) => l.includes("✗") && l.includes("round report")),
        lines.join("\n"),
      ).to.equal(true);
      expect(error?.message).to.contain("round 1: round report");
    } finally {
      await writeFile(object, original);
    }
  });

  it("an unknown task or round is named", async () => {
    await expectFlaiError(() => verifyRound(hre, hre.flai, 99, undefined, { connection }), "Federated task 99 does not exist");
    await expectFlaiError(() => verifyRound(hre, hre.flai, taskId, 3, { connection }), "no round 3");
  });
});
