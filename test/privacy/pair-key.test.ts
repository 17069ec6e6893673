import { hkdfSync } from "node:crypto";

import { x25519 } from "@noble/curves/ed25519.js";
import { expect } from "chai";

import { flaiErrorCode } from "../../src/errors.js";
import { pairInfoText, pairKey, type PairInfo } from "../../src/privacy/pair-key.js";
import { readerKeyFromAccountKey } from "../../src/privacy/reader-key.js";

import { expectFlaiError } from "../helpers/assert.js";

const alice = readerKeyFromAccountKey("0x" + "a1".repeat(32));
const bob = readerKeyFromAccountKey("0x" + "b2".repeat(32));
const carol = readerKeyFromAccountKey("0x" + "c3".repeat(32));
const info: PairInfo = {
  purpose: "job-result",
  chainId: 31337n,
  contract: "0x5FbDB2315678afecb367f032d93F642f64180aa3",
  party: "0x70997970C51812dc3A010C7d01b50e0d17dc79C8",
  id: 3n,
};
const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");

describe("privacy/pair-key", () => {
  it("both ends derive the same key; a third party's key differs", () => {
    const ab = pairKey(alice.secret, bob.publicKey, info);
    expect(hex(pairKey(bob.secret, alice.publicKey, info))).to.equal(hex(ab));
    expect(hex(pairKey(carol.secret, bob.publicKey, info))).to.not.equal(hex(ab));
    expect(ab.length).to.equal(32);
  });

  it("is HKDF-SHA256(X25519 shared, 'hardhat-flai', canonical JSON info)", () => {
    const shared = x25519.getSharedSecret(alice.secret, Buffer.from(bob.publicKey.slice(2), "hex"));
    const text = pairInfoText(info);
    expect(text).to.equal(
      '{"chainId":"31337","contract":"0x5FbDB2315678afecb367f032d93F642f64180aa3","id":"3",' +
        '"party":"0x70997970C51812dc3A010C7d01b50e0d17dc79C8","purpose":"job-result"}',
    );
    expect(hex(pairKey(alice.secret, bob.publicKey, info))).to.equal(
      hex(new Uint8Array(hkdfSync("sha256", shared, "hardhat-flai", text, 32))),
    );
  });

  it("every field of the info separates keys; spelling (case, number vs bigint, absent id = 0) does not", () => {
    const base = hex(pairKey(alice.secret, bob.publicKey, info));
    const others: PairInfo[] = [
      { ...info, purpose: "task-key" },
      { ...info, chainId: 1n },
      { ...info, contract: "0x" + "11".repeat(20) },
      { ...info, party: "0x" + "22".repeat(20) },
      { ...info, id: 4n },
    ];
    for (const other of others) expect(hex(pairKey(alice.secret, bob.publicKey, other))).to.not.equal(base);
    expect(
      hex(pairKey(alice.secret, bob.publicKey, { ...info, party: info.party.toLowerCase(), contract: info.contract.toLowerCase() })),
    ).to.equal(base);
    const input = { ...info, purpose: "job-input" as const };
    expect(hex(pairKey(alice.secret, bob.publicKey, { ...input, id: undefined }))).to.equal(
      hex(pairKey(alice.secret, bob.publicKey, { ...input, id: 0n })),
    );
  });

  it("a low-order or malformed public key is refused (its shared key would be public)", async () => {
    // Low-order points of Curve25519 (RFC 7748 §6.1 consumers must reject the all-zero output).
    for (const point of ["00".repeat(32), "01" + "00".repeat(31), "e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800"]) {
      const error = await expectFlaiError(() => pairKey(alice.secret, "0x" + point, info), "low-order point", "flai:reader-key --register");
      expect(flaiErrorCode(error)).to.equal("reader-key-invalid");
    }
    await expectFlaiError(() => pairKey(alice.secret, "0x1234", info), "must be 0x followed by 64 hex digits");
    await expectFlaiError(() => pairKey(new Uint8Array(16), bob.publicKey, info), "must be 32 bytes");
    await expectFlaiError(() => pairKey(alice.secret, bob.publicKey, { ...info, purpose: "other" as never }), "purpose must be one of");
    await expectFlaiError(() => pairKey(alice.secret, bob.publicKey, { ...info, party: "bob" }), "party must be");
  });
});
