import { randomBytes } from "node:crypto";
import { x25519 } from "@noble/curves/ed25519.js";
import { expect } from "chai";
import { getAddress, hexlify } from "ethers";

import { createDecipheriv, hkdfSync } from "node:crypto";

import {
  enclaveKeyId,
  openUpdate,
  openUpdateParts,
  sealUpdate,
  sealUpdateParts,
  type UpdateBinding,
} from "../../src/federated/envelope.js";
import { concatBytes } from "../../src/util/bytes.js";

import { expectFlaiError } from "../helpers/assert.js";

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

  it("uses a fresh ephemeral key (so a fresh AES key): sealing twice gives different bytes", () => {
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
      tampered[i]! ^= 0x01 << (i % 8);
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

  describe("16 MiB segments", () => {
    const SEGMENT = 16 << 20;
    const TAG = 16;
    const sizes = [0, 1, SEGMENT - 1, SEGMENT, SEGMENT + 1, 3 * SEGMENT + 5];

    it("round-trip at every segment boundary, whole and as parts, and the parts join to the whole layout", () => {
      for (const size of sizes) {
        const plain = randomBytes(size);
        const parts = sealUpdateParts(plain, enclave.encryptionKey, binding);
        const whole = concatBytes(parts);
        // node:crypto's 1 MiB output buffers are kept as they are: never a payload-sized copy.
        expect(
          parts.every((p) => p.length <= 1 << 20),
          `size ${size}`,
        ).to.equal(true);
        const header = whole.length - size - Math.max(1, Math.ceil(size / SEGMENT)) * TAG;
        expect(header, `size ${size}`).to.be.within(100, 400);
        for (const envelope of [parts, whole]) {
          const opened = openUpdateParts(envelope, enclave.encryptionSecret, binding);
          expect(
            opened.every((p) => p.length <= 1 << 20),
            `size ${size}`,
          ).to.equal(true);
          expect(Buffer.from(concatBytes(opened)).equals(plain), `size ${size}`).to.equal(true);
        }
        expect(
          Buffer.from(openUpdate(sealUpdate(plain, enclave.encryptionKey, binding), enclave.encryptionSecret, binding)).equals(plain),
        ).to.equal(true);
      }
    });

    it("open from the envelope split at arbitrary places (a streamed download)", () => {
      const plain = randomBytes(2 * SEGMENT + 77);
      const whole = sealUpdate(plain, enclave.encryptionKey, binding);
      const parts: Uint8Array[] = [];
      for (let at = 0, step = 1; at < whole.length; at += step, step = step * 7 + 3)
        parts.push(whole.subarray(at, Math.min(whole.length, at + step)));
      expect(parts.length).to.be.greaterThan(5);
      expect(Buffer.from(openUpdate(parts, enclave.encryptionSecret, binding)).equals(plain)).to.equal(true);
    });

    it("follow the documented layout: each segment is an AES-256-GCM message with a counter + last-flag nonce", () => {
      // An independent reader built from the format description only (envelope.ts), so the layout
      // cannot drift without this test noticing.
      const plain = randomBytes(2 * SEGMENT + 9);
      const env = Buffer.from(sealUpdate(plain, enclave.encryptionKey, binding));
      expect(env.subarray(0, 5).toString("latin1")).to.equal("FLUP\x02");
      const aadEnd = 7 + env.readUInt16BE(5);
      const header = JSON.parse(env.subarray(7, aadEnd).toString()) as { ephemeralKey: string };
      const ephemeral = Buffer.from(header.ephemeralKey.slice(2), "hex");
      const enclavePub = Buffer.from(enclave.encryptionKey.slice(2), "hex");
      const shared = x25519.getSharedSecret(Buffer.from(enclave.encryptionSecret.slice(2), "hex"), ephemeral);
      const key = Buffer.from(hkdfSync("sha256", shared, Buffer.concat([ephemeral, enclavePub]), "hardhat-flai/update/v2", 32));
      const out: Buffer[] = [];
      for (let i = 0, at = aadEnd; at < env.length; i++) {
        const end = Math.min(env.length, at + SEGMENT + TAG);
        const nonce = Buffer.alloc(12);
        nonce.writeUInt32BE(i, 7);
        nonce[11] = end === env.length ? 1 : 0;
        const d = createDecipheriv("aes-256-gcm", key, nonce);
        d.setAAD(env.subarray(0, aadEnd));
        d.setAuthTag(env.subarray(end - TAG, end));
        out.push(d.update(env.subarray(at, end - TAG)), d.final());
        at = end;
      }
      expect(out.length).to.equal(6);
      expect(Buffer.concat(out).equals(plain)).to.equal(true);
    });

    it("reject segments swapped, dropped or cut at a segment boundary", async () => {
      const whole = sealUpdate(randomBytes(3 * SEGMENT + 5), enclave.encryptionKey, binding);
      const aadEnd = 7 + ((whole[5]! << 8) | whole[6]!);
      const seg = (i: number) => whole.subarray(aadEnd + i * (SEGMENT + TAG), Math.min(whole.length, aadEnd + (i + 1) * (SEGMENT + TAG)));
      const aad = whole.subarray(0, aadEnd);
      expect(seg(3).length).to.equal(5 + TAG);
      const open = (parts: Uint8Array[]) => () => openUpdateParts(parts, enclave.encryptionSecret, binding);
      expect(concatBytes(openUpdateParts([aad, seg(0), seg(1), seg(2), seg(3)], enclave.encryptionSecret, binding)).length).to.equal(
        3 * SEGMENT + 5,
      );
      await expectFlaiError(open([aad, seg(1), seg(0), seg(2), seg(3)]), "failed authentication"); // swapped
      await expectFlaiError(open([aad, seg(0), seg(2), seg(3)]), "failed authentication"); // dropped
      await expectFlaiError(open([aad, seg(0), seg(1), seg(2)]), "failed authentication"); // cut: the last is not marked last
      await expectFlaiError(open([aad, seg(0), seg(1), seg(2), seg(3).subarray(0, 9)]), "malformed", "cut short");
    });
  });
});
