import { randomBytes } from "node:crypto";

import { x25519 } from "@noble/curves/ed25519.js";
import { expect } from "chai";
import { getAddress, hexlify } from "ethers";

import { enclaveKeyId, openUpdate, sealUpdate, type UpdateBinding } from "../src/fedavg/envelope.js";

import { expectFlaiError } from "./helpers/assert.js";

/** An enclave key pair in the shape src/tee/identity.ts stores it (0x-hex). */
function enclaveKeys() {
  const secret = randomBytes(32);
  return { encryptionSecret: hexlify(secret), encryptionKey: hexlify(x25519.getPublicKey(secret)) };
}

const CLIENT_A = getAddress("0x" + "aa".repeat(20));
const CLIENT_B = getAddress("0x" + "bb".repeat(20));
const binding: UpdateBinding = {
  chainId: 31337n,
  contract: "0x5FbDB2315678afecb367f032d93F642f64180aa3",
  taskId: 7n,
  round: 2,
  client: CLIENT_A,
};
const enclave = enclaveKeys();

describe("fedavg/envelope", () => {
  it("round-trips, including an empty payload", () => {
    for (const size of [0, 1, 1000, (1 << 20) + 3]) {
      const plain = randomBytes(size);
      const envelope = sealUpdate(plain, enclave.encryptionKey, binding);
      const opened = openUpdate(envelope, enclave.encryptionSecret, binding);
      expect(Buffer.from(opened).equals(plain)).to.equal(true);
    }
  });

  it("accepts the binding in any equivalent spelling (number/bigint, address case)", () => {
    const envelope = sealUpdate(Buffer.from("x"), enclave.encryptionKey, binding);
    const same = { chainId: 31337, contract: binding.contract.toLowerCase(), taskId: 7, round: 2n, client: CLIENT_A.toLowerCase() };
    expect(Buffer.from(openUpdate(envelope, enclave.encryptionSecret, same)).toString()).to.equal("x");
  });

  it("uses a fresh ephemeral key and nonce: sealing twice gives different bytes", () => {
    const plain = Buffer.from("same update");
    const a = sealUpdate(plain, enclave.encryptionKey, binding);
    const b = sealUpdate(plain, enclave.encryptionKey, binding);
    expect(Buffer.from(a).equals(Buffer.from(b))).to.equal(false);
  });

  it("rejects a malformed envelope", async () => {
    const envelope = sealUpdate(Buffer.from("payload"), enclave.encryptionKey, binding);
    await expectFlaiError(() => openUpdate(new Uint8Array(3), enclave.encryptionSecret, binding), "malformed", "FLUP");
    await expectFlaiError(() => openUpdate(Buffer.from("not an envelope at all"), enclave.encryptionSecret, binding), "malformed");
    await expectFlaiError(() => openUpdate(envelope.subarray(0, 40), enclave.encryptionSecret, binding), "malformed", "too short");
    const version = Uint8Array.from(envelope);
    version[4] = 9;
    await expectFlaiError(() => openUpdate(version, enclave.encryptionSecret, binding), "malformed", "version 9");
  });

  it("rejects an envelope encrypted to another enclave key, naming both key ids", async () => {
    const other = enclaveKeys();
    const envelope = sealUpdate(Buffer.from("payload"), other.encryptionKey, binding);
    await expectFlaiError(
      () => openUpdate(envelope, enclave.encryptionSecret, binding),
      "another enclave key",
      enclaveKeyId(other.encryptionKey),
      enclaveKeyId(enclave.encryptionKey),
    );
  });

  it("rejects a replay into another round", async () => {
    const envelope = sealUpdate(Buffer.from("payload"), enclave.encryptionKey, binding);
    await expectFlaiError(
      () => openUpdate(envelope, enclave.encryptionSecret, { ...binding, round: 3 }),
      "replayed: made for round 2, this is round 3",
    );
  });

  it("rejects a replay into another task, contract or chain", async () => {
    const envelope = sealUpdate(Buffer.from("payload"), enclave.encryptionKey, binding);
    for (const change of [{ taskId: 8n }, { chainId: 1n }, { contract: CLIENT_B }]) {
      await expectFlaiError(() => openUpdate(envelope, enclave.encryptionSecret, { ...binding, ...change }), "another task", "task 7");
    }
  });

  it("rejects an update claimed by a client that did not make it", async () => {
    const envelope = sealUpdate(Buffer.from("payload"), enclave.encryptionKey, binding);
    await expectFlaiError(
      () => openUpdate(envelope, enclave.encryptionSecret, { ...binding, client: CLIENT_B }),
      `claimed by ${CLIENT_B}, made by ${CLIENT_A}`,
    );
  });

  it("rejects a tampered ciphertext with an authentication error", async () => {
    const envelope = sealUpdate(randomBytes(100), enclave.encryptionKey, binding);
    const tampered = Uint8Array.from(envelope);
    tampered[tampered.length - 1]! ^= 1;
    await expectFlaiError(() => openUpdate(tampered, enclave.encryptionSecret, binding), "failed authentication");
  });

  it("rejects a header rewritten to another round (it is authenticated)", async () => {
    const envelope = sealUpdate(Buffer.from("payload"), enclave.encryptionKey, binding);
    const text = Buffer.from(envelope).toString("latin1").replace('"round":"2"', '"round":"3"');
    const forged = Buffer.from(text, "latin1");
    expect(forged.equals(Buffer.from(envelope))).to.equal(false);
    await expectFlaiError(() => openUpdate(forged, enclave.encryptionSecret, { ...binding, round: 3 }), "failed authentication");
  });

  it("rejects a flipped bit in every single byte of the envelope", async () => {
    const envelope = sealUpdate(randomBytes(48), enclave.encryptionKey, binding);
    for (let i = 0; i < envelope.length; i++) {
      const tampered = Uint8Array.from(envelope);
      tampered[i]! ^= 0x01 << i % 8;
      await expectFlaiError(() => openUpdate(tampered, enclave.encryptionSecret, binding));
    }
    const truncated = envelope.subarray(0, envelope.length - 1);
    await expectFlaiError(() => openUpdate(truncated, enclave.encryptionSecret, binding), "failed authentication");
    const extended = Buffer.concat([envelope, Buffer.from([0])]);
    await expectFlaiError(() => openUpdate(extended, enclave.encryptionSecret, binding), "failed authentication");
  });

  it("explains bad keys and bindings when sealing", async () => {
    await expectFlaiError(() => sealUpdate(Buffer.from("x"), "0x1234", binding), "enclave public key", "32 bytes");
    await expectFlaiError(() => sealUpdate(Buffer.from("x"), enclave.encryptionKey, { ...binding, client: "0x12" }), "binding.client");
    const badChecksum = CLIENT_A.slice(0, -1) + (CLIENT_A.endsWith("a") ? "A" : "a");
    await expectFlaiError(() => sealUpdate(Buffer.from("x"), enclave.encryptionKey, { ...binding, client: badChecksum }), "checksum");
    await expectFlaiError(() => sealUpdate(Buffer.from("x"), enclave.encryptionKey, { ...binding, round: -1 }), "binding.round");
    await expectFlaiError(() => sealUpdate(Buffer.from("x"), enclave.encryptionKey, { ...binding, chainId: 0 }), "binding.chainId");
  });
});
