import { createHash } from "node:crypto";
import { rm, writeFile } from "node:fs/promises";
import path from "node:path";

import { expect } from "chai";
import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import type { FlaiConnection } from "../src/connection.js";
import { isFlaiError } from "../src/errors.js";
import { TeeSim } from "../src/tee/enclave.js";

import { FIXTURES, errorOf, tempDir, tempProject } from "./helpers/project.js";

const DATA = path.join(FIXTURES, "data.json");
const MODEL = path.join(FIXTURES, "model.json");

describe("jobs: the compute-job flow on the in-process chain", function () {
  this.timeout(120_000);
  let hre: HardhatRuntimeEnvironment;
  let connection: FlaiConnection;

  before(async () => {
    ({ hre } = await tempProject());
    connection = await hre.network.create();
    await hre.flai.jobs.deployment({ connection });
    await hre.flai.jobs.registerEnclave({ connection });
  });

  async function submitAndTrain(payee?: string) {
    const submitted = await hre.flai.jobs.submit({ data: DATA, model: MODEL, reward: "0.01", connection });
    const result = await hre.flai.jobs.train(submitted.job.id, { connection, payee });
    return { submitted, result };
  }

  it("uploads, submits, trains in the enclave, completes with the signed result and pays the payee", async () => {
    const [, provider] = await connection.ethers.getSigners();
    const { submitted, result } = await submitAndTrain(provider.address);
    expect(submitted.job.status).to.equal("open");
    expect(submitted.job.reward).to.equal(10n ** 16n);
    expect(submitted.job.dataRoot).to.equal(submitted.data.root);
    expect(result.resultHash).to.equal("0x" + createHash("sha256").update(result.modelBytes).digest("hex"));
    expect(result.model.datasetRoot).to.equal(submitted.data.root);

    const before = await connection.ethers.provider.getBalance(provider.address);
    const completed = await hre.flai.jobs.complete(result, { connection });
    const after = await connection.ethers.provider.getBalance(provider.address);
    expect(after - before).to.equal(10n ** 16n);
    expect(completed.job.status).to.equal("completed");
    expect(completed.job.resultHash).to.equal(result.resultHash);
    expect(completed.job.reward).to.equal(0n);

    const read = await hre.flai.jobs.get(submitted.job.id, { connection });
    expect(read).to.deep.equal(completed.job);
  });

  it("accepts roots already in storage instead of files", async () => {
    const data = await hre.flai.storage.upload(DATA);
    const model = await hre.flai.storage.upload(MODEL);
    const submitted = await hre.flai.jobs.submit({ data: data.root, model: model.root, reward: "1", connection });
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
      await writeFile(data, JSON.stringify({ features: [[1, 2, 3], [3, 2, 1]], labels: [0, 1] }));
      await expectError(() => hre.flai.jobs.submit({ data, model: MODEL, reward: "1", connection }), /feature/i);
    });

    it("a storage object that went missing before training", async () => {
      const submitted = await hre.flai.jobs.submit({ data: DATA, model: MODEL, reward: "1", connection });
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
      const [owner] = await connection.ethers.getSigners();
      const deployment = await hre.flai.jobs.deployment({ connection });
      const result = await rogue.train({
        jobId: submitted.job.id,
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
      const [, , thief] = await connection.ethers.getSigners();
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
    const { serveChain } = await import("../src/devnet/chain-server.js");
    const chain = await (await tempProject()).hre.network.create();
    const server = await serveChain(chain.provider);
    try {
      const config = { networks: { devnode: { type: "http" as const, url: server.url } } };
      const { hre, root } = await tempProject(config, { network: "devnode" });
      const missing = await errorOf(() => hre.flai.jobs.get(1));
      expect(isFlaiError(missing)).to.equal(true);
      expect(missing.message).to.match(/No FLAIComputeJobs deployment.*flai:deploy --network devnode/);

      const first = await hre.flai.jobs.deploy();
      expect(first.deployedNow).to.equal(true);

      // A second process on the same project: a fresh runtime reading Ignition's journal.
      const { createHardhatRuntimeEnvironment } = await import("hardhat/hre");
      const flai = (await import("../src/index.js")).default;
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
    const error = await errorOf(() => hre.flai.jobs.get(1));
    expect(isFlaiError(error), String(error)).to.equal(true);
    expect(error.message).to.match(/FLAI_PRIVATE_KEY/).and.match(/keystore set FLAI_PRIVATE_KEY/);
  });
});
