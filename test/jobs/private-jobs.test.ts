import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import path from "node:path";

import { expect } from "chai";
import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { Contract, Wallet } from "ethers";

import { loadFlaiArtifact } from "../../src/chain/artifact.js";
import type { FlaiConnection } from "../../src/chain/connection.js";
import { flaiErrorCode, isFlaiError } from "../../src/errors.js";
import { JOB_RESULT_NOT_READER } from "../../src/jobs/read-result.js";
import { serializeResult } from "../../src/jobs/result-file.js";
import { isSealedArtifact } from "../../src/privacy/artifact.js";
import { ensureReaderKey, readerKeyOf } from "../../src/privacy/reader-registry.js";
import { JOB_INPUT_NOT_AUTHENTIC, JOB_READER_KEY_MISSING } from "../../src/tee/job-privacy.js";
import type { TrainingJob } from "../../src/tee/enclave.js";
import { sha256Hex } from "../../src/util/sha256.js";

import { expectFlaiError } from "../helpers/assert.js";
import { FIXTURES, errorOf, jobsProject, tempDir, tempProject } from "../helpers/project.js";
import { signers } from "../helpers/signers.js";
import { taskLines } from "../helpers/task-output.js";

const DATA_CSV = path.join(FIXTURES, "data.csv");
const DATA = path.join(FIXTURES, "data.json");
const MODEL = path.join(FIXTURES, "model.json");

/** Plaintext that must never appear in what storage holds for a private job. */
const CSV_HEADER = "x0,x1,x2,x3,x4,x5,x6,x7,label";

describe("jobs: private by default (issue 17)", function () {
  this.timeout(180_000);
  let hre: HardhatRuntimeEnvironment;
  let connection: FlaiConnection;
  let jobs: Contract;

  before(async () => {
    ({ hre, connection } = await jobsProject());
    const deployment = await hre.flai.jobs.deployment({ connection });
    jobs = new Contract(deployment.address, loadFlaiArtifact("FLAIComputeJobs").abi, connection.ethers.provider);
  });

  /** The job as the enclave host hands it over (from the chain), with a claimed reader key. */
  function trainingJob(
    job: { id: bigint; submitter: string; deadline: bigint; dataRoot: string; modelRoot: string; chainId: bigint; contract: string },
    readerKey: string | undefined,
  ): TrainingJob {
    return {
      jobId: job.id,
      submitter: job.submitter,
      deadline: job.deadline,
      dataRoot: job.dataRoot,
      modelRoot: job.modelRoot,
      chainId: job.chainId,
      contract: job.contract,
      payee: job.submitter,
      readerKey,
    };
  }

  it("stores the data, spec and model as ciphertext; the submitter reads the model, which matches the on-chain hash", async () => {
    const submitted = await hre.flai.jobs.submit({ data: DATA_CSV, model: MODEL, reward: "0.01", connection });
    expect(submitted.private).to.equal(true);
    expect(submitted.enclave).to.equal((await hre.flai.teeSim.attestedKeys()).signer);
    const [submitter, other] = await signers(connection, 2);
    // The submitter's reader key is registered on the way (the enclave's host reads it from there).
    expect(await jobs.getFunction("readerKey")(submitter.address)).to.equal((await readerKeyOf(connection, 0)).publicKey);

    const modelSpec = await readFile(MODEL, "utf8");
    for (const root of [submitted.job.dataRoot, submitted.job.modelRoot]) {
      const stored = Buffer.from(await hre.flai.storage.read(root));
      expect(isSealedArtifact(stored), root).to.equal(true);
      expect(stored.includes(CSV_HEADER)).to.equal(false);
      expect(stored.includes('"features"')).to.equal(false);
    }
    expect(Buffer.from(await hre.flai.storage.read(submitted.job.modelRoot)).includes(modelSpec.slice(0, 24))).to.equal(false);

    const result = await hre.flai.jobs.train(submitted.job.id, { connection });
    expect(result.private).to.equal(true);
    expect(result.model).to.equal(undefined); // the host never holds the plaintext model
    const storedModel = Buffer.from(await hre.flai.storage.read(result.resultRoot));
    expect(isSealedArtifact(storedModel)).to.equal(true);
    expect(storedModel.equals(Buffer.from(result.modelBytes))).to.equal(true);
    expect(storedModel.includes('"weights"')).to.equal(false);
    expect(sha256Hex(storedModel)).to.not.equal(result.resultHash); // the hash is the plaintext's

    // The result file the host writes holds roots, hash and signature, never the model.
    const file = JSON.parse(serializeResult(result)) as Record<string, unknown>;
    expect(file).to.include({ private: true, resultRoot: result.resultRoot, resultHash: result.resultHash });
    expect(file).to.not.have.property("model");

    const completed = await hre.flai.jobs.complete(result, { connection });
    expect(completed.job.resultRoot).to.equal(result.resultRoot);
    const read = await hre.flai.jobs.readResult(submitted.job.id, { connection });
    expect(read.private).to.equal(true);
    expect(sha256Hex(read.bytes)).to.equal(completed.job.resultHash);
    expect(read.model.datasetRoot).to.equal(submitted.job.dataRoot);
    expect(read.model.weights.length).to.equal(8);

    // Another account cannot: refused by code, naming the submitter.
    const refused = await errorOf(() => hre.flai.jobs.readResult(submitted.job.id, { connection, account: 1 }));
    expect(flaiErrorCode(refused), refused.message).to.equal(JOB_RESULT_NOT_READER);
    expect(refused.message).to.contain(submitter.address).and.contain(other.address);
  });

  it("the same private inputs train to the same result hash, under different ciphertexts per job", async () => {
    const a = await hre.flai.jobs.submit({ data: DATA, model: MODEL, reward: "0.01", connection });
    const b = await hre.flai.jobs.submit({ data: DATA, model: MODEL, reward: "0.01", connection });
    const [ra, rb] = [await hre.flai.jobs.train(a.job.id, { connection }), await hre.flai.jobs.train(b.job.id, { connection })];
    expect(ra.resultHash).to.equal(rb.resultHash);
    expect(ra.resultRoot).to.not.equal(rb.resultRoot); // sealed for job a and job b
  });

  it("re-submits its own sealed inputs by root, and refuses a plaintext root unless --public", async () => {
    const first = await hre.flai.jobs.submit({ data: DATA, model: MODEL, reward: "0.01", connection });
    const again = await hre.flai.jobs.submit({ data: first.job.dataRoot, model: first.job.modelRoot, reward: "0.01", connection });
    expect(again.data.uploaded).to.equal(undefined);
    expect(again.job.dataRoot).to.equal(first.job.dataRoot);
    const trained = await hre.flai.jobs.train(again.job.id, { connection });
    expect(trained.private).to.equal(true);

    const plain = await hre.flai.storage.upload(DATA);
    const error = await errorOf(() => hre.flai.jobs.submit({ data: plain.root, model: MODEL, reward: "0.01", connection }));
    expect(isFlaiError(error)).to.equal(true);
    expect(flaiErrorCode(error)).to.equal("job-input-plaintext-root");
    expect(error.message).to.contain("--public");
    // and --public refuses a sealed root (nobody else could read the job's model)
    const sealed = await errorOf(() =>
      hre.flai.jobs.submit({ data: first.job.dataRoot, model: MODEL, reward: "0.01", public: true, connection }),
    );
    expect(sealed.message).to.match(/encrypted job input, but --public was given/);
  });

  it("an attacker's job re-using a victim's input roots is refused by the enclave: nothing is signed", async () => {
    const victim = await hre.flai.jobs.submit({ data: DATA, model: MODEL, reward: "0.01", connection });
    const [, attacker] = await signers(connection, 2);
    const deployment = await hre.flai.jobs.deployment({ connection });
    const attackerKey = await ensureReaderKey(connection, 1, deployment.address);
    // The attacker's own job on the victim's ciphertext roots, straight through the contract.
    const asAttacker = jobs.connect(attacker) as Contract;
    const deadline = victim.job.deadline;
    await (await asAttacker.getFunction("submitJob")(victim.job.dataRoot, victim.job.modelRoot, deadline, { value: 10n ** 16n })).wait();
    const id = (await jobs.getFunction("jobCount")()) as bigint;
    const job = await hre.flai.jobs.get(id, { connection });
    expect(job.submitter).to.equal(attacker.address);

    // Through the host's own path (the attacker's registered key) and with the victim's key claimed instead.
    const victimKey = (await readerKeyOf(connection, 0)).publicKey;
    for (const train of [
      () => hre.flai.jobs.train(id, { connection, payee: attacker.address }),
      () => hre.flai.teeSim.train(trainingJob(job, victimKey)),
      () => hre.flai.teeSim.train(trainingJob(job, attackerKey.publicKey)),
    ]) {
      const error = await errorOf(train);
      expect(flaiErrorCode(error), error.message).to.equal(JOB_INPUT_NOT_AUTHENTIC);
      expect(error.message).to.contain(`refused job ${id}`).and.contain("Nothing was signed");
    }
    expect((await hre.flai.jobs.get(id, { connection })).status).to.equal("open");
  });

  it("a host handing a wrong reader key, or none, is refused: nothing is signed", async () => {
    const submitted = await hre.flai.jobs.submit({ data: DATA, model: MODEL, reward: "0.01", connection });
    const wrongKey = (await readerKeyOf(connection, 2)).publicKey;
    const wrong = await errorOf(() => hre.flai.teeSim.train(trainingJob(submitted.job, wrongKey)));
    expect(flaiErrorCode(wrong), wrong.message).to.equal(JOB_INPUT_NOT_AUTHENTIC);
    expect(wrong.message).to.contain(wrongKey);
    const none = await errorOf(() => hre.flai.teeSim.train(trainingJob(submitted.job, undefined)));
    expect(flaiErrorCode(none), none.message).to.equal(JOB_READER_KEY_MISSING);
    const lowOrder = await errorOf(() => hre.flai.teeSim.train(trainingJob(submitted.job, "0x" + "00".repeat(32))));
    expect(flaiErrorCode(lowOrder), lowOrder.message).to.equal(JOB_INPUT_NOT_AUTHENTIC);
    // the genuine key still trains it
    const result = await hre.flai.jobs.train(submitted.job.id, { connection });
    expect(result.private).to.equal(true);
  });

  it("--enclave must name a registered enclave (checked on the chain before anything is stored)", async () => {
    const stranger = Wallet.createRandom().address;
    const unregistered = await errorOf(() =>
      hre.flai.jobs.submit({ data: DATA, model: MODEL, reward: "0.01", enclave: stranger, connection }),
    );
    expect(isFlaiError(unregistered)).to.equal(true);
    expect(unregistered.message)
      .to.contain(stranger)
      .and.match(/not a registered enclave/);
    const malformed = await errorOf(() => hre.flai.jobs.submit({ data: DATA, model: MODEL, reward: "0.01", enclave: "abc", connection }));
    expect(malformed.message).to.match(/--enclave must be a 0x address/);
  });

  it("reading a result before the job is completed names its status", async () => {
    const submitted = await hre.flai.jobs.submit({ data: DATA, model: MODEL, reward: "0.01", connection });
    const error = await errorOf(() => hre.flai.jobs.readResult(submitted.job.id, { connection }));
    expect(flaiErrorCode(error)).to.equal("job-no-result");
    expect(error.message).to.match(/has no result to read: it is open/);
  });
});

describe("flai:result: the submitter reads its private job's model (issue 17)", function () {
  this.timeout(180_000);
  let hre: HardhatRuntimeEnvironment;
  let jobId: string;
  let dir: string;

  before(async () => {
    ({ hre } = await tempProject());
    // The default connection: the task runs on --network's chain.
    const connection = await hre.network.getOrCreate();
    await hre.flai.jobs.registerEnclave({ connection });
    const submitted = await hre.flai.jobs.submit({ data: DATA, model: MODEL, reward: "0.01", connection });
    await hre.flai.jobs.complete(await hre.flai.jobs.train(submitted.job.id, { connection }), { connection });
    jobId = submitted.job.id.toString();
    dir = await tempDir("flai-result-");
  });

  it("writes the model whose sha256 is the on-chain hash; --json gives one document", async () => {
    const out = path.join(dir, "model.json");
    const lines = await taskLines(hre, "flai:result", { job: jobId, out, account: 0, json: true });
    const doc = JSON.parse(lines.join("\n")) as { resultHash: string; private: boolean; out: string };
    expect(doc.private).to.equal(true);
    expect(sha256Hex(await readFile(out))).to.equal(doc.resultHash);
    expect((JSON.parse(await readFile(out, "utf8")) as { weights: number[] }).weights).to.have.length(8);
    // never over an existing file
    await expectFlaiError(() => taskLines(hre, "flai:result", { job: jobId, out, account: 0, json: true }), "already exists", "--out");
  });

  it("another account gets a plugin error saying only the submitter (and the enclave) can read it; nothing is written", async () => {
    const out = path.join(dir, "stolen.json");
    await expectFlaiError(
      () => taskLines(hre, "flai:result", { job: jobId, out, account: 1, json: false }),
      "only the submitter (and the enclave that trained it) can read it",
      "--account",
    );
    expect(existsSync(out)).to.equal(false);
  });
});
