import { randomBytes } from "node:crypto";

import { expect } from "chai";
import { Wallet } from "ethers";

import { flaiErrorCode } from "../../src/errors.js";
import { jobInputBinding, jobInputKey, jobResultBinding, jobResultKey } from "../../src/jobs/job-keys.js";
import { isSealedArtifact, openArtifact, sealArtifact } from "../../src/privacy/artifact.js";
import { readerKeyFromAccountKey, x25519Public } from "../../src/privacy/reader-key.js";
import { computeRoot } from "../../src/storage/merkle.js";
import { JOB_INPUT_MIXED, JOB_INPUT_NOT_AUTHENTIC, JOB_READER_KEY_MISSING, openJobInputs } from "../../src/tee/job-privacy.js";

import { errorOf } from "../helpers/project.js";

// The enclave's half of a private job, without a worker: what it opens, what it refuses, and that the
// model it seals opens only for the submitter (K_out from the submitter's side equals the enclave's).
describe("tee: a private job's inputs and model inside the enclave (issue 17)", () => {
  const enclaveSecret = new Uint8Array(randomBytes(32));
  const enclavePublic = x25519Public(enclaveSecret);
  const submitter = Wallet.createRandom();
  const reader = readerKeyFromAccountKey(submitter.privateKey);
  const place = { chainId: 31337n, contract: Wallet.createRandom().address, submitter: submitter.address };
  const data = Buffer.from('{"features":[[1],[2]],"labels":[0,1]}');
  const spec = Buffer.from('{"features":1}');
  const kIn = jobInputKey(reader.secret, enclavePublic, place);
  const sealedData = sealArtifact(data, kIn, jobInputBinding(place, "job-data", "0x0"));
  const dataRoot = computeRoot(sealedData);
  const sealedSpec = sealArtifact(spec, kIn, jobInputBinding(place, "job-model", dataRoot));
  const job = (readerKey: string | undefined, who = place, root: string = dataRoot) => ({
    jobId: 7n,
    place: who,
    dataRoot: root,
    readerKey,
    encryptionSecret: "0x" + Buffer.from(enclaveSecret).toString("hex"),
  });

  it("plaintext inputs are a public job: returned as they are, no sealing of the result", () => {
    const opened = openJobInputs(data, spec, job(undefined));
    expect(opened.sealResult).to.equal(undefined);
    expect(Buffer.from(opened.dataset).equals(data)).to.equal(true);
  });

  it("sealed inputs open with the submitter's key; the sealed model opens only with the submitter's K_out", () => {
    const opened = openJobInputs(sealedData, sealedSpec, job(reader.publicKey));
    expect(Buffer.from(opened.dataset).equals(data)).to.equal(true);
    expect(Buffer.from(opened.modelSpec).equals(spec)).to.equal(true);
    const model = Buffer.from('{"weights":[0.5]}');
    const sealed = opened.sealResult!(model);
    expect(isSealedArtifact(sealed)).to.equal(true);
    const kOut = jobResultKey(reader.secret, enclavePublic, place, 7n);
    expect(Buffer.from(openArtifact(sealed, kOut, jobResultBinding(place, 7n), "model")).equals(model)).to.equal(true);
    // another job id's key (or binding) does not open it
    const other = jobResultKey(reader.secret, enclavePublic, place, 8n);
    expect(() => openArtifact(sealed, other, jobResultBinding(place, 8n), "model")).to.throw(/failed authentication/);
  });

  it("one sealed input beside a plaintext one is refused (a host pairing a victim's sealed input with its own)", async () => {
    for (const [d, m] of [
      [sealedData, spec],
      [data, sealedSpec],
    ] as const) {
      const error = await errorOf(() => openJobInputs(d, m, job(reader.publicKey)));
      expect(flaiErrorCode(error), error.message).to.equal(JOB_INPUT_MIXED);
      expect(error.message).to.contain("Nothing was signed");
    }
  });

  it("a sealed spec opens only beside the dataset it was sealed with (its stored root), not beside another of the submitter's", async () => {
    const otherData = sealArtifact(Buffer.from('{"features":[[3],[4]],"labels":[1,0]}'), kIn, jobInputBinding(place, "job-data", "0x0"));
    const error = await errorOf(() => openJobInputs(otherData, sealedSpec, job(reader.publicKey, place, computeRoot(otherData))));
    expect(flaiErrorCode(error), error.message).to.equal(JOB_INPUT_NOT_AUTHENTIC);
    expect(error.message).to.contain("its sealed model failed authentication");
  });

  it("refuses by code: no reader key, another submitter's job, tampered bytes, a wrong key", async () => {
    expect(flaiErrorCode(await errorOf(() => openJobInputs(sealedData, sealedSpec, job(undefined))))).to.equal(JOB_READER_KEY_MISSING);
    const thief = { ...place, submitter: Wallet.createRandom().address };
    const tampered = new Uint8Array(sealedData);
    tampered[tampered.length - 1]! ^= 1;
    for (const [what, bytes, who, key] of [
      ["another submitter", sealedData, thief, reader.publicKey],
      ["tampered bytes", tampered, place, reader.publicKey],
      ["a wrong key", sealedData, place, readerKeyFromAccountKey(Wallet.createRandom().privateKey).publicKey],
    ] as const) {
      const error = await errorOf(() => openJobInputs(bytes, sealedSpec, job(key, who)));
      expect(flaiErrorCode(error), `${what}: ${error.message}`).to.equal(JOB_INPUT_NOT_AUTHENTIC);
      expect(error.message).to.contain("refused job 7").and.contain("Nothing was signed");
    }
  });
});
