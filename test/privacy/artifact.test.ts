import { createCipheriv, createHmac, hkdfSync, randomBytes } from "node:crypto";

import { decryptFile, EncryptedFile, EncryptionHeader, MemData, newSymmetricEncryptedFile } from "@0gfoundation/0g-ts-sdk";
import { expect } from "chai";

import { flaiErrorCode } from "../../src/errors.js";
import {
  ARTIFACT_HEADER_SIZE,
  bindingBytes,
  isSealedArtifact,
  openArtifact,
  sealArtifact,
  type ArtifactBinding,
} from "../../src/privacy/artifact.js";

import { expectFlaiError } from "../helpers/assert.js";

const binding: ArtifactBinding = {
  chainId: 31337n,
  contract: "0x5FbDB2315678afecb367f032d93F642f64180aa3",
  kind: "task-model",
  id: 4n,
  round: 2,
};
const key = randomBytes(32);

/** What the 0G SDK's EncryptedFile uploads for `plaintext` under `key` with header nonce `nonce`. */
async function sdkEncrypted(plaintext: Uint8Array, k: Uint8Array, nonce: Uint8Array): Promise<Uint8Array> {
  const file = new EncryptedFile(new MemData(plaintext), k, new EncryptionHeader(1, nonce));
  return (await file.readFromFile(0, file.size())).buffer;
}

async function expectCode(fn: () => unknown, code: string, ...fragments: string[]) {
  const error = await expectFlaiError(fn, ...fragments);
  expect(flaiErrorCode(error)).to.equal(code);
}

describe("privacy/artifact", () => {
  it("round-trips any size, including empty and not a whole number of AES blocks", () => {
    for (const size of [0, 1, 15, 16, 17, 1000, (1 << 20) + 5, 3 * (1 << 20)]) {
      const plain = randomBytes(size);
      const sealed = sealArtifact(plain, key, binding);
      expect(sealed.length).to.equal(size + ARTIFACT_HEADER_SIZE);
      expect(Buffer.from(openArtifact(sealed, key, binding, "The model")).equals(plain)).to.equal(true);
    }
  });

  it("is the 0G SDK's v1 format: the SDK's decryptFile opens ours with the key", () => {
    for (const size of [0, 33, (1 << 20) + 7]) {
      const plain = randomBytes(size);
      const sealed = sealArtifact(plain, key, binding);
      expect(sealed[0]).to.equal(1);
      expect(Buffer.from(decryptFile(key, sealed)).equals(plain)).to.equal(true);
    }
  });

  it("bytes the SDK's EncryptedFile writes with our nonce are ours, byte for byte", async () => {
    for (const size of [1, 16, 4097, (2 << 20) + 3]) {
      const plain = randomBytes(size);
      const sealed = sealArtifact(plain, key, binding);
      const sdk = await sdkEncrypted(plain, key, sealed.subarray(1, ARTIFACT_HEADER_SIZE));
      expect(Buffer.from(sdk).equals(sealed)).to.equal(true);
    }
  });

  it("the counter carries across bytes like the SDK's (a nonce near 2^128 wraps the same way)", async () => {
    // Not reachable through sealArtifact (the nonce is a MAC), so the CTR convention is checked directly.
    const nonce = Buffer.from("ffffffffffffffffffffffffffffff" + "fe", "hex");
    const plain = randomBytes(100);
    const cipher = createCipheriv("aes-256-ctr", key, nonce);
    const ours = Buffer.concat([Buffer.from([1]), nonce, cipher.update(plain), cipher.final()]);
    expect(Buffer.from(await sdkEncrypted(plain, key, nonce)).equals(ours)).to.equal(true);
  });

  it("the nonce is HMAC-SHA256(HKDF(K), len | binding | plaintext)[0..16], as documented", () => {
    const plain = randomBytes(999);
    const text = bindingBytes(binding);
    const macKey = Buffer.from(hkdfSync("sha256", key, "hardhat-flai", "hardhat-flai/artifact-mac/v1", 32));
    const length = Buffer.alloc(4);
    length.writeUInt32BE(text.length);
    const mac = createHmac("sha256", macKey).update(length).update(text).update(plain).digest().subarray(0, 16);
    expect(Buffer.from(sealArtifact(plain, key, binding).subarray(1, 17)).equals(mac)).to.equal(true);
    expect(new TextDecoder().decode(text)).to.equal(
      '{"chainId":"31337","contract":"0x5FbDB2315678afecb367f032d93F642f64180aa3","id":"4","kind":"task-model","round":"2"}',
    );
  });

  it("is deterministic per (key, binding, plaintext), and hides the plaintext", () => {
    const plain = new TextEncoder().encode('{"weights":[1,2,3]}\n'.repeat(50));
    const a = sealArtifact(plain, key, binding);
    expect(Buffer.from(sealArtifact(plain, key, binding)).equals(a)).to.equal(true);
    expect(Buffer.from(sealArtifact(plain, key, { ...binding, round: 3 })).equals(a)).to.equal(false);
    expect(Buffer.from(a).includes(Buffer.from("weights"))).to.equal(false);
  });

  it("an SDK-made file under the right key is refused: its random nonce is not our MAC", async () => {
    const plain = randomBytes(200);
    const file = newSymmetricEncryptedFile(new MemData(plain), key);
    const bytes = (await file.readFromFile(0, file.size())).buffer;
    await expectCode(() => openArtifact(bytes, key, binding, "The model"), "artifact-not-authentic", "The model failed authentication");
  });

  it("tampered, wrong-key, wrong-binding and truncated artifacts are refused as not authentic", async () => {
    const plain = randomBytes(5000);
    const sealed = sealArtifact(plain, key, binding);
    const flipped = (at: number) => {
      const copy = new Uint8Array(sealed);
      copy[at]! ^= 1;
      return copy;
    };
    const cases: [string, () => unknown][] = [
      ["body bit", () => openArtifact(flipped(100), key, binding, "The model")],
      ["nonce bit", () => openArtifact(flipped(5), key, binding, "The model")],
      ["last byte", () => openArtifact(flipped(sealed.length - 1), key, binding, "The model")],
      ["wrong key", () => openArtifact(sealed, randomBytes(32), binding, "The model")],
      ["truncated", () => openArtifact(sealed.subarray(0, sealed.length - 1), key, binding, "The model")],
      ["extended", () => openArtifact(Buffer.concat([sealed, Buffer.from([0])]), key, binding, "The model")],
      ["header only", () => openArtifact(sealed.subarray(0, ARTIFACT_HEADER_SIZE), key, binding, "The model")],
    ];
    for (const field of ["chainId", "contract", "kind", "id", "round"] as const) {
      const other = { chainId: 1n, contract: "0x" + "11".repeat(20), kind: "task-initial-model", id: 5n, round: 1 }[field];
      cases.push([field, () => openArtifact(sealed, key, { ...binding, [field]: other }, "The model")]);
    }
    for (const [name, open] of cases) {
      const error = await expectFlaiError(open, "The model failed authentication", "another key or for another");
      expect(flaiErrorCode(error), name).to.equal("artifact-not-authentic");
    }
  });

  it("a task's evaluation set (id 0, round 0) and its initial model, sealed alike, never open as each other", async () => {
    const plain = new TextEncoder().encode('{"rows":2,"cols":1}');
    const task = { chainId: 31337n, contract: binding.contract, id: 0n, round: 0 };
    const evaluation = sealArtifact(plain, key, { ...task, kind: "task-evaluation" });
    expect(isSealedArtifact(evaluation)).to.equal(true);
    expect(Buffer.from(openArtifact(evaluation, key, { ...task, kind: "task-evaluation" }, "The test set")).equals(plain)).to.equal(true);
    const asModel = await expectFlaiError(() => openArtifact(evaluation, key, { ...task, kind: "task-initial-model" }, "The model"));
    expect(flaiErrorCode(asModel)).to.equal("artifact-not-authentic");
    const model = sealArtifact(plain, key, { ...task, kind: "task-initial-model" });
    const asEvaluation = await expectFlaiError(() => openArtifact(model, key, { ...task, kind: "task-evaluation" }, "The test set"));
    expect(flaiErrorCode(asEvaluation)).to.equal("artifact-not-authentic");
  });

  it("plaintext (a public artifact) or a too-short input is not encrypted", async () => {
    const json = new TextEncoder().encode('{"kind":"logistic-regression"}\n');
    expect(isSealedArtifact(json)).to.equal(false);
    expect(isSealedArtifact(new Uint8Array([1, ...randomBytes(15)]))).to.equal(false);
    expect(isSealedArtifact(sealArtifact(json, key, binding))).to.equal(true);
    for (const bytes of [json, new Uint8Array(0), new Uint8Array([1, 2, 3])]) {
      await expectCode(
        () => openArtifact(bytes, key, binding, "Job 3's dataset"),
        "artifact-not-encrypted",
        "Job 3's dataset is not an encrypted artifact",
      );
    }
  });

  it("bad keys and bindings are plugin errors", async () => {
    await expectFlaiError(() => sealArtifact(new Uint8Array(1), randomBytes(16), binding), "32 bytes", "got 16");
    await expectFlaiError(() => sealArtifact(new Uint8Array(1), key, { ...binding, kind: "update" as never }), "kind must be one of");
    await expectFlaiError(() => sealArtifact(new Uint8Array(1), key, { ...binding, contract: "0x12" }), "contract must be");
    await expectFlaiError(() => sealArtifact(new Uint8Array(1), key, { ...binding, chainId: 0n }), "chainId must be an integer ≥ 1");
    await expectFlaiError(() => sealArtifact(new Uint8Array(1), key, { ...binding, round: -1 }), "round must be");
  });

  it("a lowercase or checksummed contract, a number or bigint round, bind the same", () => {
    const plain = randomBytes(64);
    const sealed = sealArtifact(plain, key, { ...binding, contract: binding.contract.toLowerCase() });
    expect(Buffer.from(openArtifact(sealed, key, binding, "The model")).equals(plain)).to.equal(true);
  });

  it("round-trips 64 MiB, and the SDK reads it", function () {
    this.timeout(60_000);
    const plain = new Uint8Array(64 << 20);
    for (let i = 0; i < plain.length; i += 1 << 16) plain.set(randomBytes(1 << 16), i);
    const sealed = sealArtifact(plain, key, binding);
    expect(Buffer.from(openArtifact(sealed, key, binding, "The model")).equals(plain)).to.equal(true);
    expect(Buffer.from(decryptFile(key, sealed)).equals(plain)).to.equal(true);
  });
});
