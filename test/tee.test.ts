import { createHash } from "node:crypto";
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";

import { expect } from "chai";

import { isFlaiError } from "../src/errors.js";
import { issueReport, verifyReport } from "../src/tee/attestation.js";
import { loadOrCreateIdentity, unsealSecrets } from "../src/tee/identity.js";
import { computeMeasurement, enclaveProgramFiles } from "../src/tee/measurement.js";
import { seal, unseal } from "../src/tee/sealing.js";

import { errorOf, tempDir } from "./helpers/project.js";

describe("teeSim: the simulated enclave", () => {
  describe("sealing", () => {
    const secret = new Uint8Array(32).fill(7);

    it("round-trips, and refuses another machine's secret, another label or altered bytes", () => {
      const blob = seal(Buffer.from("keys"), secret, "label");
      expect(Buffer.from(unseal(blob, secret, "label")!).toString()).to.equal("keys");
      expect(unseal(blob, new Uint8Array(32).fill(8), "label")).to.equal(undefined);
      expect(unseal(blob, secret, "other")).to.equal(undefined);
      const altered = Uint8Array.from(blob);
      altered[altered.length - 1] ^= 1;
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

    it("cannot be unsealed once the sealed file is altered", async () => {
      const dir = await tempDir();
      await loadOrCreateIdentity(dir);
      const file = path.join(dir, "keys.sealed");
      const bytes = await readFile(file);
      bytes[bytes.length - 3] ^= 0xff;
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
        expect(createHash("sha256").update(await readFile(f)).digest("hex")).to.have.length(64);
      }
    });
  });

  describe("attestation report", () => {
    it("verifies, and names what is wrong when altered or unexpected", async () => {
      const identity = await loadOrCreateIdentity(await tempDir());
      const measurement = await computeMeasurement();
      const report = await issueReport(identity, measurement);
      verifyReport(report, { measurement, authority: report.authority });

      const forged = { ...report, signer: "0x000000000000000000000000000000000000dEaD" };
      expect((await errorOf(() => verifyReport(forged))).message).to.match(/altered/);
      expect((await errorOf(() => verifyReport(report, { measurement: "0x" + "11".repeat(32) }))).message).to.match(/not the expected measurement/);
      expect((await errorOf(() => verifyReport(report, { authority: identity.signer }))).message).to.match(/not by the trusted authority/);
    });
  });
});
