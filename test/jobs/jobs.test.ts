import { createHash } from "node:crypto";
import { rm, writeFile } from "node:fs/promises";
import path from "node:path";

import { expect } from "chai";
import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { Contract, Wallet } from "ethers";

import type { FlaiConnection } from "../../src/chain/connection.js";
import { isFlaiError } from "../../src/errors.js";
import { loadFlaiArtifact } from "../../src/chain/artifact.js";
import { compactSignature } from "../../src/tee/job-result-signature.js";
import { readResultFile, writeResultFile } from "../../src/jobs/result-file.js";
import { decodeRevert } from "../../src/chain/revert.js";
import type { StorageBackend } from "../../src/storage/types.js";
import { devAuthority, registrationArgs, signReport } from "../../src/tee/attestation.js";
import { TeeSim } from "../../src/tee/enclave.js";

import { FIXTURES, errorOf, jobsProject, tempDir, tempProject } from "../helpers/project.js";
import { signers } from "../helpers/signers.js";

const DATA = path.join(FIXTURES, "data.json");
const MODEL = path.join(FIXTURES, "model.json");

describe("jobs: the compute-job flow on the in-process chain", function () {
  this.timeout(120_000);
  let hre: HardhatRuntimeEnvironment;
  let connection: FlaiConnection;

  before(async () => {
    ({ hre, connection } = await jobsProject());
  });

  /** A public job (--public: the model comes back in the clear); test/jobs/private-jobs.test.ts covers private ones. */
  async function submitAndTrain(payee?: string) {
    const submitted = await hre.flai.jobs.submit({ data: DATA, model: MODEL, reward: "0.01", public: true, connection });
    const result = await hre.flai.jobs.train(submitted.job.id, { connection, payee });
    return { submitted, result };
  }

  it("--public: uploads, submits, trains in the enclave, completes with the signed result and pays the payee", async () => {
    const [, provider] = await signers(connection, 2);
    const { submitted, result } = await submitAndTrain(provider.address);
    expect(submitted.job.status).to.equal("open");
    expect(submitted.job.reward).to.equal(10n ** 16n);
    expect(submitted.job.dataRoot).to.equal(submitted.data.root);
    expect(result.resultHash).to.equal("0x" + createHash("sha256").update(result.modelBytes).digest("hex"));
    expect(result.model!.datasetRoot).to.equal(submitted.data.root);
    expect(result.private).to.equal(false);
    // The stored model is the plaintext, under the root the enclave signed; anyone reads it.
    expect(Buffer.from(await hre.flai.storage.read(result.resultRoot)).equals(Buffer.from(result.modelBytes))).to.equal(true);

    const before = await connection.ethers.provider.getBalance(provider.address);
    const completed = await hre.flai.jobs.complete(result, { connection });
    const after = await connection.ethers.provider.getBalance(provider.address);
    expect(after - before).to.equal(10n ** 16n);
    expect(completed.job.status).to.equal("completed");
    expect(completed.job.resultHash).to.equal(result.resultHash);
    expect(completed.job.reward).to.equal(0n);

    const read = await hre.flai.jobs.get(submitted.job.id, { connection });
    expect(read).to.deep.equal(completed.job);
    expect(read.resultRoot).to.equal(result.resultRoot);
    const other = await hre.flai.jobs.readResult(submitted.job.id, { connection, account: 1 });
    expect(other.private).to.equal(false);
    expect(other.model).to.deep.equal(result.model);
  });

  it("accepts roots already in storage instead of files", async () => {
    const data = await hre.flai.storage.upload(DATA);
    const model = await hre.flai.storage.upload(MODEL);
    const submitted = await hre.flai.jobs.submit({ data: data.root, model: model.root, reward: "1", public: true, connection });
    expect(submitted.job.dataRoot).to.equal(data.root);
    expect(submitted.data.uploaded).to.equal(undefined);
  });

  it("gives the same model bytes and hash for the same inputs", async () => {
    const a = await submitAndTrain();
    const b = await submitAndTrain();
    expect(Buffer.from(a.result.modelBytes).equals(Buffer.from(b.result.modelBytes))).to.equal(true);
    expect(a.result.resultHash).to.equal(b.result.resultHash);
  });

  describe("bad input gets a clear plugin error", () => {
    async function expectError(fn: () => Promise<unknown>, pattern: RegExp) {
      const error = await errorOf(fn);
      expect(isFlaiError(error), String(error)).to.equal(true);
      expect(error.message).to.match(pattern);
    }

    it("completing twice", async () => {
      const { result } = await submitAndTrain();
      await hre.flai.jobs.complete(result, { connection });
      await expectError(() => hre.flai.jobs.complete(result, { connection }), /already completed/);
      await expectError(() => hre.flai.jobs.train(result.jobId, { connection }), /already completed/);
    });

    it("an unknown job id", async () => {
      await expectError(() => hre.flai.jobs.get(999, { connection }), /Job 999 does not exist.*jobs 1\.\.\d+/);
      await expectError(() => hre.flai.jobs.get("abc", { connection }), /whole number/);
      await expectError(() => hre.flai.jobs.get(0, { connection }), /whole number ≥ 1/);
    });

    for (const reward of ["abc", "0", "-1", "1e3", "0.0000000001", " "]) {
      it(`a reward of "${reward}"`, async () => {
        await expectError(() => hre.flai.jobs.submit({ data: DATA, model: MODEL, reward, connection }), /--reward/);
      });
    }

    it("a root that is not 32-byte hex, and a root not in storage", async () => {
      await expectError(() => hre.flai.jobs.submit({ data: "0x1234", model: MODEL, reward: "1", connection }), /--data/);
      await expectError(
        () => hre.flai.jobs.submit({ data: "0x" + "ab".repeat(32), model: MODEL, reward: "1", connection }),
        /not in storage.*flai:upload/,
      );
    });

    it("a missing data file", async () => {
      await expectError(() => hre.flai.jobs.submit({ data: "nope/data.json", model: MODEL, reward: "1", connection }), /nope\/data\.json/);
    });

    it("missing data and model files: always the --data error, never whichever read lost the race", async () => {
      for (let i = 0; i < 10; i++) {
        await expectError(
          () => hre.flai.jobs.submit({ data: "nope/data.json", model: "nope/model.json", reward: "1", connection }),
          /--data file "nope\/data\.json"/,
        );
      }
    });

    it("a dataset whose feature count does not match the model", async () => {
      const dir = await tempDir();
      const data = path.join(dir, "three.json");
      await writeFile(
        data,
        JSON.stringify({
          features: [
            [1, 2, 3],
            [3, 2, 1],
          ],
          labels: [0, 1],
        }),
      );
      await expectError(() => hre.flai.jobs.submit({ data, model: MODEL, reward: "1", connection }), /feature/i);
    });

    it("a storage object that went missing before training", async () => {
      const submitted = await hre.flai.jobs.submit({ data: DATA, model: MODEL, reward: "1", public: true, connection });
      const object = path.join(hre.config.flai.storage.path, submitted.data.root.slice(2));
      await rm(object);
      try {
        await expectError(() => hre.flai.jobs.train(submitted.job.id, { connection }), new RegExp(submitted.data.root.slice(2, 12)));
      } finally {
        await hre.flai.storage.upload(DATA);
      }
    });

    it("a result signed by an enclave that is not registered", async () => {
      const { submitted } = await submitAndTrain();
      const rogue = new TeeSim({ dir: await tempDir(), storage: hre.flai.storage, trainingTimeoutSeconds: 60 });
      const [owner] = await signers(connection, 1);
      const deployment = await hre.flai.jobs.deployment({ connection });
      const result = await rogue.train({
        jobId: submitted.job.id,
        submitter: submitted.job.submitter,
        deadline: submitted.job.deadline,
        dataRoot: submitted.job.dataRoot,
        modelRoot: submitted.job.modelRoot,
        chainId: deployment.chainId,
        contract: deployment.address,
        payee: owner.address,
      });
      await expectError(() => hre.flai.jobs.complete(result, { connection }), /not a registered enclave/);
    });

    it("a result whose payee was swapped after signing (front-running)", async () => {
      const { result } = await submitAndTrain();
      const [, , thief] = await signers(connection, 3);
      await expectError(() => hre.flai.jobs.complete({ ...result, payee: thief.address }, { connection }), /not a registered enclave/);
    });

    it("a result signed for another chain or contract", async () => {
      const { result } = await submitAndTrain();
      await expectError(() => hre.flai.jobs.complete({ ...result, chainId: 16602n }, { connection }), /chain 16602/);
    });
  });
});

describe("jobs: deployments on a persistent network", function () {
  this.timeout(120_000);

  it("says there is no deployment, then reuses the one flai:deploy recorded", async () => {
    const { serveChain } = await import("../../src/chain/chain-server.js");
    const chain = await (await tempProject()).hre.network.create();
    const server = await serveChain(chain.provider);
    try {
      const config = { networks: { devnode: { type: "http" as const, url: server.url } } };
      const { hre, root } = await tempProject(config, { network: "devnode" });
      const missing = await errorOf(() => hre.flai.jobs.get(1));
      expect(isFlaiError(missing)).to.equal(true);
      // A reader is a participant: told how to join the existing deployment, never to make a second one.
      expect(missing.message).to.match(/No hardhat-flai deployment is known for network "devnode".*flai\.deployments\["devnode"\]/);
      expect(missing.message).not.to.contain("flai:deploy");

      const first = await hre.flai.jobs.deploy();
      expect(first.deployedNow).to.equal(true);

      // A second process on the same project: a fresh runtime reading Ignition's journal.
      const { createHardhatRuntimeEnvironment } = await import("hardhat/hre");
      const flai = (await import("../../src/index.js")).default;
      const again = await createHardhatRuntimeEnvironment({ plugins: [flai], ...config }, { network: "devnode" }, root);
      const second = await again.flai.jobs.deploy();
      expect(second).to.deep.include({ address: first.address, deployedNow: false });
    } finally {
      await server.close();
    }
  });

  it("asks for the private key of a 0G network without printing anything secret", async () => {
    delete process.env.FLAI_PRIVATE_KEY;
    const { hre } = await tempProject({}, { network: "galileo" });
    // Sending needs the key (reading does not: see test/federated/participants.test.ts).
    const error = await errorOf(() => hre.flai.jobs.registerEnclave());
    expect(isFlaiError(error), String(error)).to.equal(true);
    expect(error.message)
      .to.match(/FLAI_PRIVATE_KEY/)
      .and.match(/keystore set FLAI_PRIVATE_KEY/);
  });
});

/** A made-up 2-row dataset with the fixture model's 8 features: what a cheating host trains on instead. */
function madeUpDataset(): Buffer {
  return Buffer.from(JSON.stringify({ features: [new Array(8).fill(0), new Array(8).fill(1)], labels: [0, 1] }));
}

/** The custom error a static call reverts with (the contract's decision, not the client's). */
async function revertOf(call: () => Promise<unknown>, contract: Contract): Promise<{ name: string; args: readonly unknown[] }> {
  const error = await errorOf(call);
  const revert = decodeRevert(error, contract.interface);
  expect(revert, `expected a custom-error revert, got: ${error.message}`).to.not.equal(undefined);
  return revert!;
}

describe("jobs: attacks on results and enclave registration (issue 11)", function () {
  this.timeout(180_000);
  let hre: HardhatRuntimeEnvironment;
  let connection: FlaiConnection;
  let jobs: Contract;

  before(async () => {
    ({ hre } = await tempProject());
    connection = await hre.network.create();
    const deployment = await hre.flai.jobs.deployment({ connection });
    await hre.flai.jobs.registerEnclave({ connection });
    const [owner] = await signers(connection, 1);
    jobs = new Contract(deployment.address, loadFlaiArtifact("FLAIComputeJobs").abi, owner);
  });

  it("a result computed on other data (host feeds fake inputs) is refused by the enclave", async () => {
    const submitted = await hre.flai.jobs.submit({ data: DATA, model: MODEL, reward: "0.01", public: true, connection });
    const fake = madeUpDataset();
    // A host whose storage hands the enclave made-up bytes for the job's data root.
    const lying: StorageBackend = Object.create(hre.flai.storage, {
      read: { value: async (root: string) => (root === submitted.job.dataRoot ? fake : hre.flai.storage.read(root)) },
    });
    const host = new TeeSim({ dir: hre.flai.teeSim.dir, storage: lying, trainingTimeoutSeconds: 60 });
    const error = await errorOf(() =>
      host.train({
        jobId: submitted.job.id,
        submitter: submitted.job.submitter,
        deadline: submitted.job.deadline,
        dataRoot: submitted.job.dataRoot,
        modelRoot: submitted.job.modelRoot,
        chainId: submitted.job.chainId,
        contract: submitted.job.contract,
        payee: submitted.job.submitter,
      }),
    );
    expect(isFlaiError(error)).to.equal(true);
    expect(error.message).to.match(new RegExp(`refused job ${submitted.job.id}: the data it was handed has 0G root`));
  });

  it("a result signed over other roots (fake inputs, fake roots) reverts on-chain", async () => {
    const submitted = await hre.flai.jobs.submit({ data: DATA, model: MODEL, reward: "0.01", public: true, connection });
    const fake = madeUpDataset();
    const fakeRoot = (await hre.flai.storage.upload(fake)).root;
    const [, , host] = await signers(connection, 3);
    const job = {
      jobId: submitted.job.id,
      submitter: submitted.job.submitter,
      deadline: submitted.job.deadline,
      dataRoot: fakeRoot, // the host claims the job is about its own data
      modelRoot: submitted.job.modelRoot,
      chainId: submitted.job.chainId,
      contract: submitted.job.contract,
      payee: host.address,
    };
    const modelBytes = await hre.flai.storage.read(submitted.job.modelRoot);
    const signed = await hre.flai.teeSim.runJob(job, fake, modelBytes); // genuine signature, over the fake root
    const { r, vs } = compactSignature(signed.signature);
    const revert = await revertOf(
      () => jobs.getFunction("completeJob").staticCall(job.jobId, signed.resultHash, signed.resultRoot, host.address, r, vs),
      jobs,
    );
    expect(revert.name).to.equal("UnacceptedEnclave");
    expect(revert.args[0]).to.not.equal(signed.signer);
    // the client names the difference before sending anything
    const result = await hre.flai.teeSim.train(job);
    const refused = await errorOf(() => hre.flai.jobs.complete(result, { connection }));
    expect(refused.message).to.match(/computed for another job .*data root/);
    expect((await hre.flai.jobs.get(job.jobId, { connection })).status).to.equal("open");
  });

  it("an old result file replayed onto a restarted chain's job with the same id reverts", async () => {
    const { hre: project, root } = await tempProject();
    // the chain before the restart: job 1 trained, its result file written
    const before = await project.network.create();
    const oldDeployment = await project.flai.jobs.deployment({ connection: before });
    await project.flai.jobs.registerEnclave({ connection: before });
    const old = await project.flai.jobs.submit({ data: DATA, model: MODEL, reward: "0.01", connection: before });
    const file = path.join(root, "job-1.json");
    await writeResultFile(file, await project.flai.jobs.train(old.job.id, { connection: before }));

    // the restarted chain: same chain id, same contract address, an unrelated job 1 on the same inputs
    const after = await project.network.create();
    const deployment = await project.flai.jobs.deployment({ connection: after });
    expect([deployment.chainId, deployment.address]).to.deep.equal([oldDeployment.chainId, oldDeployment.address]);
    await project.flai.jobs.registerEnclave({ connection: after });
    const fresh = await project.flai.jobs.submit({ data: DATA, model: MODEL, reward: "0.01", deadlineSeconds: 3600, connection: after });
    expect(fresh.job.id).to.equal(old.job.id);

    const replayed = await readResultFile(file);
    const refused = await errorOf(() => project.flai.jobs.complete(replayed, { connection: after }));
    expect(isFlaiError(refused)).to.equal(true);
    expect(refused.message).to.match(/computed for another job 1: its deadline/);
    // and the contract alone refuses it
    const [sender] = await signers(after, 1);
    const contract = new Contract(deployment.address, loadFlaiArtifact("FLAIComputeJobs").abi, sender);
    const { r, vs } = compactSignature(replayed.signature);
    const revert = await revertOf(
      () => contract.getFunction("completeJob").staticCall(1n, replayed.resultHash, replayed.resultRoot, replayed.payee, r, vs),
      contract,
    );
    expect(revert.name).to.equal("UnacceptedEnclave");
    expect(revert.args[0]).to.not.equal(replayed.signer);
  });

  it("clients read the enclave's encryption key from the chain, verified against the pinned authority", async () => {
    const keys = await hre.flai.teeSim.attestedKeys();
    const verified = await hre.flai.jobs.enclaveKey(keys.signer, { connection, measurement: await hre.flai.teeSim.measurement() });
    expect(verified.encryptionKey).to.equal(keys.encryptionKey.toLowerCase());
    expect(verified.authority).to.equal((await devAuthority()).address);
    expect(verified.authority).to.equal(await jobs.getFunction("attestationAuthority")());
    expect(verified.expiry).to.be.greaterThan(Math.floor(Date.now() / 1000));

    const stranger = Wallet.createRandom().address;
    expect((await errorOf(() => hre.flai.jobs.enclaveKey(stranger, { connection }))).message).to.match(/not a registered enclave/);
    const otherAuthority = await errorOf(() => hre.flai.jobs.enclaveKey(keys.signer, { connection, authority: stranger }));
    expect(otherAuthority.message).to.match(/pins attestation authority .*not the authority you trust/);
  });

  it("registering a wallet with a rewritten report, another authority's report, an expired report or no authority at all reverts", async () => {
    const wallet = Wallet.createRandom();
    const measurement = await hre.flai.teeSim.measurement();
    const latest = (await connection.ethers.provider.getBlock("latest"))!.timestamp;
    const genuine = await hre.flai.teeSim.report({ now: latest + 1 });
    const body = { measurement, signer: wallet.address, encryptionKey: "0x" + "77".repeat(32), issuedAt: latest, expiry: latest + 86400 };

    const rewritten = { ...genuine, signer: wallet.address }; // identity.json rewritten after signing
    expect((await revertOf(() => jobs.getFunction("registerEnclave").staticCall(...registrationArgs(rewritten)), jobs)).name).to.equal(
      "NotAttestedByAuthority",
    );
    const byOther = signReport(Wallet.createRandom(), body);
    expect((await revertOf(() => jobs.getFunction("registerEnclave").staticCall(...registrationArgs(byOther)), jobs)).name).to.equal(
      "NotAttestedByAuthority",
    );
    const [owner] = await signers(connection, 1); // the owner signs for the wallet itself
    const byOwner = {
      ...body,
      authority: owner.address,
      signature: await owner.signTypedData(
        { name: "hardhat-flai attestation", version: "1" },
        {
          EnclaveReport: [
            { name: "measurement", type: "bytes32" },
            { name: "signer", type: "address" },
            { name: "encryptionKey", type: "bytes32" },
            { name: "issuedAt", type: "uint64" },
            { name: "expiry", type: "uint64" },
          ],
        },
        body,
      ),
    };
    const ownerRevert = await revertOf(() => jobs.getFunction("registerEnclave").staticCall(...registrationArgs(byOwner)), jobs);
    expect([ownerRevert.name, ownerRevert.args[0]]).to.deep.equal(["NotAttestedByAuthority", owner.address]);
    const expired = signReport(await devAuthority(), { ...body, issuedAt: latest - 2 * 86400, expiry: latest - 86400 });
    expect((await revertOf(() => jobs.getFunction("registerEnclave").staticCall(...registrationArgs(expired)), jobs)).name).to.equal(
      "ReportExpired",
    );
    const unaccepted = signReport(await devAuthority(), { ...body, measurement: "0x" + "99".repeat(32) });
    expect((await revertOf(() => jobs.getFunction("registerEnclave").staticCall(...registrationArgs(unaccepted)), jobs)).name).to.equal(
      "MeasurementNotAccepted",
    );

    expect(await jobs.getFunction("isAcceptedEnclave")(wallet.address)).to.equal(false);
    // the genuine report registers, relayed by an account that is not the owner
    const [, , relayer] = await signers(connection, 3);
    await (await (jobs.connect(relayer) as Contract).getFunction("registerEnclave")(...registrationArgs(genuine))).wait();
    expect(await jobs.getFunction("isAcceptedEnclave")(genuine.signer)).to.equal(true);
  });
});
