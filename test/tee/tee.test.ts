import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";

import { expect } from "chai";

import { isFlaiError } from "../../src/errors.js";
import { Wallet } from "ethers";

import { LocalStorage } from "../../src/storage/local.js";
import { issueReport, REPORT_VALIDITY_SECONDS, verifyReport } from "../../src/tee/attestation.js";
import { TeeSim } from "../../src/tee/enclave.js";
import { identityOf, loadOrCreateIdentity, unsealSecrets } from "../../src/tee/identity.js";
import { computeMeasurement, enclaveProgramFiles } from "../../src/tee/measurement.js";
import { seal, unseal } from "../../src/tee/sealing.js";

import { FIXTURES, errorOf, tempDir } from "../helpers/project.js";

const CREATE_IDENTITY = path.resolve(import.meta.dirname, "..", "fixtures-scripts", "create-identity.ts");

/** The identity a folder's sealed keys hold, and that its identity.json names the same keys. */
async function sealedIdentity(dir: string) {
  const sealed = identityOf(await unsealSecrets(dir));
  const file = JSON.parse(await readFile(path.join(dir, "identity.json"), "utf8")) as { signer: string; encryptionKey: string };
  expect({ signer: file.signer, encryptionKey: file.encryptionKey }, `identity.json in ${dir} names the sealed keys`).to.deep.equal({
    signer: sealed.signer,
    encryptionKey: sealed.encryptionKey,
  });
  return sealed;
}

describe("teeSim: the simulated enclave", () => {
  describe("sealing", () => {
    const secret = new Uint8Array(32).fill(7);

    it("round-trips, and refuses another machine's secret, another label or altered bytes", () => {
      const blob = seal(Buffer.from("keys"), secret, "label");
      expect(Buffer.from(unseal(blob, secret, "label")!).toString()).to.equal("keys");
      expect(unseal(blob, new Uint8Array(32).fill(8), "label")).to.equal(undefined);
      expect(unseal(blob, secret, "other")).to.equal(undefined);
      const altered = Uint8Array.from(blob);
      altered[altered.length - 1]! ^= 1;
      expect(unseal(altered, secret, "label")).to.equal(undefined);
    });
  });

  describe("identity", () => {
    it("is created once and then reused; keys are sealed at rest", async () => {
      const dir = await tempDir();
      const first = await loadOrCreateIdentity(dir);
      const second = await loadOrCreateIdentity(dir);
      expect(second).to.deep.equal(first);
      const secrets = await unsealSecrets(dir);
      const onDisk = await readFile(path.join(dir, "keys.sealed"));
      expect(onDisk.includes(Buffer.from(secrets.signingKey.slice(2), "hex"))).to.equal(false);
      expect(onDisk.toString("latin1")).to.not.contain(secrets.signingKey.slice(2));
    });

    it("concurrent identity creation yields one identity (16 first uses at once, 20 trials)", async () => {
      for (let trial = 0; trial < 20; trial++) {
        const dir = await tempDir();
        const identities = await Promise.all(Array.from({ length: 16 }, () => loadOrCreateIdentity(dir)));
        const sealed = await sealedIdentity(dir);
        for (const identity of identities) {
          expect(identity.signer, `trial ${trial}`).to.equal(sealed.signer);
          expect(identity.encryptionKey, `trial ${trial}`).to.equal(sealed.encryptionKey);
        }
      }
    });

    it("concurrent identity creation in 8 processes yields one identity", async function () {
      this.timeout(120_000);
      const dir = await tempDir();
      const tsx = import.meta.resolve("tsx/esm");
      const startAt = Date.now() + 4000; // every process loaded before any starts
      const outputs = await Promise.all(
        Array.from({ length: 8 }, () =>
          promisify(execFile)(process.execPath, ["--import", tsx, CREATE_IDENTITY, dir, String(startAt)], { env: process.env }),
        ),
      );
      const sealed = await sealedIdentity(dir);
      for (const { stdout } of outputs) {
        expect(JSON.parse(stdout)).to.deep.equal({ signer: sealed.signer, encryptionKey: sealed.encryptionKey });
      }
    });

    it("cannot be unsealed once the sealed file is altered", async () => {
      const dir = await tempDir();
      await loadOrCreateIdentity(dir);
      const file = path.join(dir, "keys.sealed");
      const bytes = await readFile(file);
      bytes[bytes.length - 3]! ^= 0xff;
      await writeFile(file, bytes);
      const error = await errorOf(() => unsealSecrets(dir));
      expect(isFlaiError(error)).to.equal(true);
      expect(error.message).to.match(/cannot be unsealed/);
    });
  });

  describe("measurement", () => {
    it("is the SHA-256 over the enclave program's files and config, and stable", async () => {
      const a = await computeMeasurement();
      expect(a).to.match(/^0x[0-9a-f]{64}$/);
      expect(await computeMeasurement()).to.equal(a);
      const files = enclaveProgramFiles();
      expect(files.some((f) => f.includes(path.join("ml", "logistic")))).to.equal(true);
      for (const f of files) {
        expect(
          createHash("sha256")
            .update(await readFile(f))
            .digest("hex"),
        ).to.have.length(64);
      }
    });
  });

  describe("attestation report", () => {
    it("verifies, and names what is wrong when altered, unexpected or expired", async () => {
      const identity = await loadOrCreateIdentity(await tempDir());
      const measurement = await computeMeasurement();
      const now = Math.floor(Date.now() / 1000);
      const report = await issueReport(identity, measurement, now);
      expect(report.expiry - report.issuedAt).to.equal(REPORT_VALIDITY_SECONDS);
      verifyReport(report, { measurement, authority: report.authority, now });

      const forged = { ...report, signer: "0x000000000000000000000000000000000000dEaD" };
      expect((await errorOf(() => verifyReport(forged))).message).to.match(/altered/);
      const rekeyed = { ...report, encryptionKey: "0x" + "ab".repeat(32) };
      expect((await errorOf(() => verifyReport(rekeyed))).message).to.match(/altered/);
      expect((await errorOf(() => verifyReport(report, { measurement: "0x" + "11".repeat(32) }))).message).to.match(
        /not the expected measurement/,
      );
      expect((await errorOf(() => verifyReport(report, { authority: identity.signer }))).message).to.match(
        /not by the trusted attestation authority/,
      );
      expect((await errorOf(() => verifyReport(report, { now: report.expiry }))).message).to.match(/expired/);
    });

    it("attests the sealed keys: a rewritten identity.json (naming an ordinary wallet) is detected, never attested", async () => {
      const dir = await tempDir();
      const tee = new TeeSim({ dir, storage: new LocalStorage(await tempDir()), trainingTimeoutSeconds: 60 });
      const genuine = await tee.identity();
      const wallet = Wallet.createRandom();
      await writeFile(path.join(dir, "identity.json"), JSON.stringify({ ...genuine, signer: wallet.address }));
      const error = await errorOf(() => tee.report());
      expect(isFlaiError(error)).to.equal(true);
      expect(error.message).to.match(/identity\.json was altered/);
      expect(error.message).to.contain(wallet.address);

      // the file is derived from the sealed keys: deleting it restores the genuine identity
      await (await import("node:fs/promises")).rm(path.join(dir, "identity.json"));
      const fresh = new TeeSim({ dir, storage: new LocalStorage(await tempDir()), trainingTimeoutSeconds: 60 });
      const report = await fresh.report();
      expect(report.signer).to.equal(genuine.signer);
      expect(report.encryptionKey).to.equal(genuine.encryptionKey);
    });
  });

  describe("input binding", () => {
    it("the enclave refuses a job whose data or model the host swapped (fake inputs), and signs nothing", async function () {
      this.timeout(60_000);
      const storage = new LocalStorage(await tempDir());
      const tee = new TeeSim({ dir: await tempDir(), storage, trainingTimeoutSeconds: 60 });
      const data = await readFile(path.join(FIXTURES, "data.json"));
      const model = await readFile(path.join(FIXTURES, "model.json"));
      const { root: dataRoot } = await storage.upload(data);
      const { root: modelRoot } = await storage.upload(model);
      const job = {
        jobId: 9n,
        submitter: Wallet.createRandom().address,
        deadline: 2_000_000_000n,
        dataRoot,
        modelRoot,
        chainId: 31337n,
        contract: Wallet.createRandom().address,
        payee: Wallet.createRandom().address,
      };
      const fake = Buffer.from(JSON.stringify({ features: [[0], [1]], labels: [0, 1] }));
      const fakeData = await errorOf(() => tee.runJob(job, fake, model));
      expect(isFlaiError(fakeData)).to.equal(true);
      expect(fakeData.message).to.match(/refused job 9: the data it was handed has 0G root 0x[0-9a-f]{64}, but the job's data root is/);
      expect(fakeData.message).to.contain(dataRoot);
      const fakeModel = await errorOf(() => tee.runJob(job, data, data));
      expect(fakeModel.message).to.match(/refused job 9: the model it was handed/);

      // the genuine inputs are signed, over the job's roots
      const signed = await tee.runJob(job, data, model);
      expect(
        TeeSim.verifyResultSignature(
          { ...job, resultHash: signed.resultHash, resultRoot: signed.resultRoot, signature: signed.signature },
          signed.signer,
        ),
      ).to.equal(true);
      expect(
        TeeSim.verifyResultSignature(
          {
            ...job,
            dataRoot: "0x" + "00".repeat(32),
            resultHash: signed.resultHash,
            resultRoot: signed.resultRoot,
            signature: signed.signature,
          },
          signed.signer,
        ),
      ).to.equal(false);
    });
  });
});
