import { diffieHellman, hkdfSync, randomBytes } from "node:crypto";
import { readFile } from "node:fs/promises";
import path from "node:path";

import { expect } from "chai";
import { getAddress, Wallet } from "ethers";

import { flaiErrorCode, isFlaiError } from "../../src/errors.js";
import { jobInputBinding, jobInputKey, jobResultBinding, jobResultKey, type JobPlace } from "../../src/jobs/job-keys.js";
import { JOB_RESULT_NOT_READER, openJobModel } from "../../src/jobs/read-result.js";
import type { JobView } from "../../src/jobs/types.js";
import { ARTIFACT_HEADER_SIZE, openArtifact, sealArtifact } from "../../src/privacy/artifact.js";
import { pairKey, pairInfoText } from "../../src/privacy/pair-key.js";
import { readerKeyFromAccountKey } from "../../src/privacy/reader-key.js";
import { x25519PrivateKeyObject, x25519PublicKeyObject } from "../../src/privacy/x25519.js";
import { computeRoot } from "../../src/storage/merkle.js";
import { loadOrCreateIdentity } from "../../src/tee/identity.js";
import { recoverJobResultSigner } from "../../src/tee/job-result-signature.js";
import { JOB_INPUT_MIXED, JOB_INPUT_NOT_AUTHENTIC, JOB_PRIVATE_INPUT_UNUSABLE } from "../../src/tee/job-privacy.js";
import { runTraining, type TrainRequest, type TrainResponse } from "../../src/tee/program.js";
import { sha256Hex } from "../../src/util/sha256.js";

import { FIXTURES, errorOf, tempDir } from "../helpers/project.js";

/**
 * Issue 17 under attack, compute jobs: every party but the enclave and the contracts may lie. Each
 * test is one attack by a host, a storage node, another account or the public against a private
 * job's inputs or model, run against the enclave program itself (runTraining: what the worker runs)
 * and the readers' code; each shows the attack refused, or that what it yields is ciphertext only.
 */
describe("privacy: attacks on private jobs (issue 17)", function () {
  this.timeout(60_000);
  const CONTRACT = getAddress("0x" + "c7".repeat(20));
  const victim = Wallet.createRandom();
  const host = Wallet.createRandom();
  const victimKey = readerKeyFromAccountKey(victim.privateKey);
  const hostKey = readerKeyFromAccountKey(host.privateKey);
  const victimId = { address: victim.address, ...victimKey };
  const place: JobPlace = { chainId: 31337n, contract: CONTRACT, submitter: victim.address };
  /** Plaintext the victim's dataset holds: no attack may get any of it out of the enclave or storage. */
  const SECRET_LABEL = "diagnosis-hiv-positive";
  const SECRET_ROWS =
    "0.25,-1.5,diagnosis-hiv-positive\n0.75,2.5,diagnosis-negative\n-0.5,0.5,diagnosis-hiv-positive\n1.5,-0.5,diagnosis-negative\n";
  const victimData = new TextEncoder().encode(`x0,x1,label\n${SECRET_ROWS}`);
  const victimSpec = new TextEncoder().encode(
    JSON.stringify({
      format: "flai-model/v1",
      algorithm: "logistic-regression",
      features: 2,
      classes: ["diagnosis-hiv-positive", "diagnosis-negative"],
      hyperparameters: { c: 1, maxIterations: 20, tolerance: 0.0001, standardize: true },
    }),
  );
  let enclaveDir: string;
  let enclave: { signer: string; encryptionKey: string };
  let kIn: Uint8Array;
  let sealedData: Uint8Array;
  let sealedSpec: Uint8Array;

  before(async () => {
    enclaveDir = await tempDir("flai-attack-jobs-");
    enclave = await loadOrCreateIdentity(enclaveDir);
    kIn = jobInputKey(victimKey.secret, enclave.encryptionKey, place);
    sealedData = sealArtifact(victimData, kIn, jobInputBinding(place, "job-data", "0x0"));
    sealedSpec = sealArtifact(victimSpec, kIn, jobInputBinding(place, "job-model", computeRoot(sealedData)));
  });

  /** What the host hands the enclave for job `jobId`: any bytes, any claimed submitter and reader key. */
  function request(dataset: Uint8Array, modelSpec: Uint8Array, opts: { submitter?: string; readerKey?: string; jobId?: bigint } = {}) {
    return {
      enclaveDir,
      dataset,
      modelSpec,
      binding: {
        chainId: "31337",
        contract: CONTRACT,
        jobId: String(opts.jobId ?? 7n),
        submitter: opts.submitter ?? victim.address,
        deadline: "4000000000",
        dataRoot: computeRoot(dataset),
        modelRoot: computeRoot(modelSpec),
        payee: host.address,
      },
      readerKey: opts.readerKey ?? victimKey.publicKey,
    } satisfies TrainRequest;
  }

  /** Nothing the host gets back (error text, code) may hold any of the victim's plaintext. */
  function expectNoPlaintext(text: string) {
    expect(text).to.not.contain(SECRET_LABEL);
    expect(text).to.not.contain("diagnosis-negative");
    expect(text).to.not.contain("0.25,-1.5");
  }

  function jobView(id: bigint, resultRoot: string, resultHash: string, submitter = victim.address): JobView {
    return {
      id,
      chainId: place.chainId,
      contract: CONTRACT,
      submitter,
      resultRoot,
      resultHash,
      status: "completed",
    } as unknown as JobView;
  }

  it("honest baseline: the enclave trains the victim's sealed job and seals the model to the victim alone", async () => {
    const response = await runTraining(request(sealedData, sealedSpec));
    expect(response.private).to.equal(true);
    expectNoPlaintext(Buffer.from(response.modelBytes).toString("latin1"));
    const kOut = jobResultKey(victimKey.secret, enclave.encryptionKey, place, 7n);
    const model = openArtifact(response.modelBytes, kOut, jobResultBinding(place, 7n), "model");
    expect(sha256Hex(model)).to.equal(response.resultHash);
  });

  it("attack: a storage node or the public reads a private job's dataset, spec or model from the stored bytes", async () => {
    const response = await runTraining(request(sealedData, sealedSpec));
    for (const [what, bytes] of [
      ["dataset", sealedData],
      ["spec", sealedSpec],
      ["model", response.modelBytes],
    ] as const) {
      const text = Buffer.from(bytes).toString("latin1");
      expectNoPlaintext(text);
      for (const marker of ["x0,x1,label", "flai-model", "logistic-regression", "weights"]) {
        expect(text, `${what} holds no ${marker}`).to.not.contain(marker);
      }
    }
    // Keys the public could try: a fresh one, the host's own pair key with the enclave, the victim's input key for the model.
    const guesses = [new Uint8Array(randomBytes(32)), jobInputKey(hostKey.secret, enclave.encryptionKey, place), kIn];
    for (const key of guesses) {
      const refused = await errorOf(() => openArtifact(response.modelBytes, key, jobResultBinding(place, 7n), "model"));
      expect(flaiErrorCode(refused)).to.equal("artifact-not-authentic");
    }
  });

  it("attack: the host hands its own reader key, so the model would be sealed to a key it holds: refused, nothing signed", async () => {
    const refused = await errorOf(() => runTraining(request(sealedData, sealedSpec, { readerKey: hostKey.publicKey })));
    expect(flaiErrorCode(refused), refused.message).to.equal(JOB_INPUT_NOT_AUTHENTIC);
    expect(refused.message).to.contain("Nothing was signed");
    expectNoPlaintext(refused.message);
  });

  it("attack: another account re-uses the victim's sealed input roots in its own job: refused, nothing signed", async () => {
    const refused = await errorOf(() =>
      runTraining(request(sealedData, sealedSpec, { submitter: host.address, readerKey: hostKey.publicKey })),
    );
    expect(flaiErrorCode(refused), refused.message).to.equal(JOB_INPUT_NOT_AUTHENTIC);
  });

  it("attack: the host claims the victim submitted its job: the model is sealed to the victim and the signature cannot complete the host's job", async () => {
    // The enclave does not read the chain, so a lying host gets it to train: what it yields is useless to the host.
    const response = await runTraining(request(sealedData, sealedSpec, { jobId: 9n }));
    const hostPlace = { ...place, submitter: host.address };
    const hostOut = jobResultKey(hostKey.secret, enclave.encryptionKey, hostPlace, 9n);
    for (const [key, p] of [
      [hostOut, hostPlace],
      [hostOut, place],
    ] as const) {
      expect(flaiErrorCode(await errorOf(() => openArtifact(response.modelBytes, key, jobResultBinding(p, 9n), "model")))).to.equal(
        "artifact-not-authentic",
      );
    }
    // The contract rebuilds the signed message from job 9's own record, whose submitter is the host.
    expect(recoverJobResultSigner(resultBinding(response, 9n, host.address), response.signature)).to.not.equal(enclave.signer);
    expect(recoverJobResultSigner(resultBinding(response, 9n, victim.address), response.signature)).to.equal(enclave.signer);
  });

  function resultBinding(r: TrainResponse, jobId: bigint, submitter: string, resultRoot = r.resultRoot) {
    const req = request(sealedData, sealedSpec).binding;
    return {
      chainId: 31337n,
      contract: CONTRACT,
      jobId,
      submitter,
      deadline: BigInt(req.deadline),
      dataRoot: req.dataRoot,
      modelRoot: req.modelRoot,
      resultHash: r.resultHash,
      resultRoot,
      payee: host.address,
    };
  }

  it("attack: a job's resultRoot other than the bytes the enclave rooted (pointing readers at other bytes) does not verify", async () => {
    const response = await runTraining(request(sealedData, sealedSpec));
    expect(response.resultRoot).to.equal(computeRoot(response.modelBytes));
    const other = computeRoot(new Uint8Array(randomBytes(64)));
    expect(recoverJobResultSigner(resultBinding(response, 7n, victim.address, other), response.signature)).to.not.equal(enclave.signer);
  });

  it("attack: the host pairs the victim's sealed dataset with a plaintext spec of its own (an error and hash oracle): refused before parsing", async () => {
    // Before the fix the enclave opened the dataset, parsed it under the host's spec and sent back
    // 'label "diagnosis-hiv-positive" is not one of the model spec's classes' — the victim's plaintext.
    const hostSpec = await readFile(path.join(FIXTURES, "model.json"));
    const twoFeatures = new TextEncoder().encode(
      JSON.stringify({ ...JSON.parse(hostSpec.toString()), features: 2, classes: ["guess-a", "guess-b"] }),
    );
    const victimSpecPlain = victimSpec;
    for (const [what, data, spec] of [
      ["sealed data, host's plaintext spec", sealedData, twoFeatures],
      ["sealed data, plaintext spec without classes", sealedData, victimSpecPlain],
      ["host's plaintext data, sealed spec", new TextEncoder().encode("x0,x1,label\n1,2,a\n3,4,b\n"), sealedSpec],
    ] as const) {
      const refused = await errorOf(() => runTraining(request(data, spec)));
      expect(flaiErrorCode(refused), `${what}: ${refused.message}`).to.equal(JOB_INPUT_MIXED);
      expect(refused.message).to.contain("Nothing was signed");
      expectNoPlaintext(refused.message);
    }
  });

  it("attack: the host pairs the victim's sealed dataset with the victim's sealed spec of another job (an error and hash oracle): refused before parsing", async () => {
    // Every job input of one submitter for one enclave shares K_in; the spec is sealed beside its
    // dataset's stored root, so a spec of another job does not open here. (Before: the parse error named
    // a victim's label.)
    const anotherDataset = sealArtifact(
      new TextEncoder().encode(`x0,x1,label\n0,0,diagnosis-negative\n`),
      kIn,
      jobInputBinding(place, "job-data", "0x0"),
    );
    const otherSpec = sealArtifact(
      new TextEncoder().encode(JSON.stringify({ ...JSON.parse(new TextDecoder().decode(victimSpec)), classes: ["a", "b"] })),
      kIn,
      jobInputBinding(place, "job-model", computeRoot(anotherDataset)),
    );
    const refused = await errorOf(() => runTraining(request(sealedData, otherSpec)));
    expect(flaiErrorCode(refused), refused.message).to.equal(JOB_INPUT_NOT_AUTHENTIC);
    expect(refused.message).to.contain("Nothing was signed");
    expectNoPlaintext(refused.message);
  });

  it("attack: a victim's sealed inputs that open but do not parse together: the refusal withholds why (no plaintext, no cause)", async () => {
    // Defence in depth behind the binding above: whatever fails after opening says nothing of the data.
    const badSpec = sealArtifact(
      new TextEncoder().encode(JSON.stringify({ ...JSON.parse(new TextDecoder().decode(victimSpec)), classes: ["a", "b"] })),
      kIn,
      jobInputBinding(place, "job-model", computeRoot(sealedData)),
    );
    const refused = await errorOf(() => runTraining(request(sealedData, badSpec)));
    expect(flaiErrorCode(refused), refused.message).to.equal(JOB_PRIVATE_INPUT_UNUSABLE);
    expectNoPlaintext(refused.message);
    expect(refused.cause, "no cause carries the plaintext either").to.equal(undefined);
  });

  it("attack: the host swaps a private job's dataset and spec (and their roots): refused, nothing signed", async () => {
    const refused = await errorOf(() => runTraining(request(sealedSpec, sealedData)));
    expect(flaiErrorCode(refused), refused.message).to.equal(JOB_INPUT_NOT_AUTHENTIC);
  });

  it("attack: job A's sealed model served as job B's, or cut short, or extended: the submitter's reader refuses it", async () => {
    const a = await runTraining(request(sealedData, sealedSpec, { jobId: 7n }));
    const b = await runTraining(request(sealedData, sealedSpec, { jobId: 8n }));
    // One model, two jobs: equal plaintext hashes, but every byte differs (K_out and the nonce are per job).
    expect(a.resultHash).to.equal(b.resultHash);
    expect(Buffer.from(a.modelBytes).equals(Buffer.from(b.modelBytes))).to.equal(false);
    const replayed = await errorOf(() =>
      openJobModel(a.modelBytes, jobView(8n, a.resultRoot, a.resultHash), victimId, enclave.encryptionKey, "#0"),
    );
    expect(flaiErrorCode(replayed)).to.equal("artifact-not-authentic");
    for (const bytes of [
      a.modelBytes.subarray(0, a.modelBytes.length - 1),
      a.modelBytes.subarray(0, ARTIFACT_HEADER_SIZE),
      Buffer.concat([a.modelBytes, Buffer.from("{}")]),
    ]) {
      const refused = await errorOf(() =>
        openJobModel(bytes, jobView(7n, a.resultRoot, a.resultHash), victimId, enclave.encryptionKey, "#0"),
      );
      expect(flaiErrorCode(refused)).to.equal("artifact-not-authentic");
    }
    expect(sha256Hex(openJobModel(a.modelBytes, jobView(7n, a.resultRoot, a.resultHash), victimId, enclave.encryptionKey, "#0"))).to.equal(
      a.resultHash,
    );
  });

  it("attack: another account reads the victim's private model, with its own key or claiming the victim's address", async () => {
    const a = await runTraining(request(sealedData, sealedSpec));
    const view = jobView(7n, a.resultRoot, a.resultHash);
    const asHost = { address: host.address, ...hostKey };
    expect(flaiErrorCode(await errorOf(() => openJobModel(a.modelBytes, view, asHost, enclave.encryptionKey, "#1")))).to.equal(
      JOB_RESULT_NOT_READER,
    );
    // Past the address check (its own code, with the victim's address): its key still opens nothing.
    const claiming = { address: victim.address, ...hostKey };
    expect(flaiErrorCode(await errorOf(() => openJobModel(a.modelBytes, view, claiming, enclave.encryptionKey, "#1")))).to.equal(
      "artifact-not-authentic",
    );
  });

  it("attack: AES-CTR keystream reuse: no (key, nonce) pair seals two plaintexts, and counter ranges never overlap", () => {
    // K_in seals the dataset and the spec of every job of one submitter for one enclave (binding id 0):
    // the SIV nonce differs with the kind and the plaintext, so no keystream is shared.
    const sealed = [
      sealedData,
      sealedSpec,
      sealArtifact(victimData, kIn, jobInputBinding(place, "job-model", computeRoot(sealedData))), // same plaintext, other kind
      sealArtifact(
        new TextEncoder().encode(`x0,x1,label\n${SECRET_ROWS}0,0,diagnosis-negative\n`),
        kIn,
        jobInputBinding(place, "job-data", "0x0"),
      ),
    ];
    const nonces = sealed.map((s) => BigInt("0x" + Buffer.from(s.subarray(1, ARTIFACT_HEADER_SIZE)).toString("hex")));
    expect(new Set(nonces).size).to.equal(nonces.length);
    const blocks = sealed.map((s) => BigInt(Math.ceil((s.length - ARTIFACT_HEADER_SIZE) / 16)));
    for (let i = 0; i < nonces.length; i++) {
      for (let j = 0; j < nonces.length; j++) {
        if (i === j) continue;
        const distance = (nonces[j]! - nonces[i]! + (1n << 128n)) % (1n << 128n);
        expect(distance >= blocks[i]!, `counter range ${i} runs into nonce ${j}`).to.equal(true);
      }
    }
    // Two plaintexts sealed under one key, same length: XOR of ciphertexts is not XOR of plaintexts.
    const p1 = new Uint8Array(64).fill(0x41);
    const p2 = new Uint8Array(64).fill(0x42);
    const c1 = sealArtifact(p1, kIn, jobInputBinding(place, "job-data", "0x0")).subarray(ARTIFACT_HEADER_SIZE);
    const c2 = sealArtifact(p2, kIn, jobInputBinding(place, "job-data", "0x0")).subarray(ARTIFACT_HEADER_SIZE);
    const xorC = c1.map((b, i) => b ^ c2[i]!);
    expect(xorC.every((b) => b === (0x41 ^ 0x42))).to.equal(false);
  });

  it("attack: a low-order or non-canonical X25519 reader key (a public shared secret): every one refused, the enclave signs nothing", async () => {
    const p = (1n << 255n) - 19n;
    const le = (n: bigint) => "0x" + Buffer.from(n.toString(16).padStart(64, "0"), "hex").reverse().toString("hex");
    // The curve's low-order points (RFC 7748 §6.1 / libsodium's blocklist): 0, 1, p−1, the two of
    // order 8, their non-canonical spellings (+p) and with the ignored top bit set.
    const order8a = 0x00b8495f16056286fdb1329ceb8d09da6ac49ff1fae35616aeb8413b7c7aebe0n;
    const order8b = 0x57119fd0dd4e22d8868e1c58c45c44045bef839c55b1d0b1248c50a3bc959c5fn;
    const lowOrder = [0n, 1n, p - 1n, order8a, order8b, p, p + 1n];
    const spellings = lowOrder.flatMap((u) => [le(u), le(u | (1n << 255n))]);
    for (const key of spellings) {
      const refused = await errorOf(() =>
        pairKey(victimKey.secret, key, { purpose: "job-input", chainId: 1n, contract: CONTRACT, party: victim.address }),
      );
      expect(flaiErrorCode(refused), `${key}: ${refused.message}`).to.equal("reader-key-invalid");
      const inEnclave = await errorOf(() => runTraining(request(sealedData, sealedSpec, { readerKey: key })));
      expect(flaiErrorCode(inEnclave), `${key} in the enclave`).to.equal(JOB_INPUT_NOT_AUTHENTIC);
    }
  });

  it("attack: the victim's sealed inputs replayed to the same enclave for a job on another FLAIComputeJobs or chain: refused", async () => {
    for (const [what, binding] of [
      ["another contract", { chainId: "31337", contract: host.address }],
      ["another chain", { chainId: "1", contract: CONTRACT }],
    ] as const) {
      const req = request(sealedData, sealedSpec);
      const refused = await errorOf(() => runTraining({ ...req, binding: { ...req.binding, ...binding } }));
      expect(flaiErrorCode(refused), `${what}: ${refused.message}`).to.equal(JOB_INPUT_NOT_AUTHENTIC);
    }
  });

  it("attack: an update envelope whose 'ephemeral' key is the victim's reader key makes the enclave compute the victim's shared secret: its KDF is separate", () => {
    // The enclave's X25519 key serves update envelopes (ephemeral-static) and pair keys (static-static).
    // An envelope naming the victim's public key as its ephemeral gets DH(enclave, victim) — K_in's
    // input — but the envelope KDF (salt = ephemeral | enclave key, info "hardhat-flai/update/v2")
    // never gives K_in or K_out, and the attacker cannot make a valid envelope tag without the key.
    const shared = diffieHellman({
      privateKey: x25519PrivateKeyObject(victimKey.secret),
      publicKey: x25519PublicKeyObject(Buffer.from(enclave.encryptionKey.slice(2), "hex")),
    });
    const salt = Buffer.concat([Buffer.from(victimKey.publicKey.slice(2), "hex"), Buffer.from(enclave.encryptionKey.slice(2), "hex")]);
    const envelopeKey = Buffer.from(hkdfSync("sha256", shared, salt, "hardhat-flai/update/v2", 32));
    expect(envelopeKey.equals(Buffer.from(kIn))).to.equal(false);
    expect(envelopeKey.equals(Buffer.from(jobResultKey(victimKey.secret, enclave.encryptionKey, place, 7n)))).to.equal(false);
  });

  it("attack: HKDF-info and MAC-binding collisions: JSON-injecting or mis-spelled fields are refused, distinct fields never collide", async () => {
    const base = { purpose: "job-input" as const, chainId: 1n, contract: CONTRACT, party: victim.address };
    for (const bad of [
      { ...base, contract: `${CONTRACT}","id":"5` },
      { ...base, party: `${victim.address}"` },
      { ...base, purpose: 'job-input","id":"1' as "job-input" },
      { ...base, chainId: -1n },
      { ...base, id: 1.5 as unknown as bigint },
    ]) {
      expect(
        isFlaiError(await errorOf(() => pairInfoText(bad))),
        JSON.stringify(bad, (_, v: unknown) => (typeof v === "bigint" ? String(v) : v)),
      ).to.equal(true);
    }
    const infos = new Set(
      [
        base,
        { ...base, purpose: "job-result" as const },
        { ...base, purpose: "task-key" as const },
        { ...base, id: 1n },
        { ...base, chainId: 11n },
        { ...base, party: host.address },
        { ...base, contract: host.address },
      ].map(pairInfoText),
    );
    expect(infos.size).to.equal(7);
    // Input key (id 0) and job 0's result key are different keys: purpose separates them.
    expect(
      Buffer.from(jobInputKey(victimKey.secret, enclave.encryptionKey, place)).equals(
        Buffer.from(jobResultKey(victimKey.secret, enclave.encryptionKey, place, 0n)),
      ),
    ).to.equal(false);
  });
});
