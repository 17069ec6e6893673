import { hkdfSync } from "node:crypto";

import { x25519 } from "@noble/curves/ed25519.js";
import { expect } from "chai";

import { readerKeyFromAccountKey, x25519Public } from "../../src/privacy/reader-key.js";

import { expectFlaiError } from "../helpers/assert.js";

// Hardhat's first dev account key: public, so fine to pin an expected value on.
const DEV_KEY = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";

describe("privacy/reader-key", () => {
  it("derives secret = HKDF-SHA256(account key, 'hardhat-flai', 'reader-key/v1') and its X25519 public key", () => {
    const { secret, publicKey } = readerKeyFromAccountKey(DEV_KEY);
    const want = new Uint8Array(hkdfSync("sha256", Buffer.from(DEV_KEY.slice(2), "hex"), "hardhat-flai", "reader-key/v1", 32));
    expect(Buffer.from(secret).equals(want)).to.equal(true);
    expect(publicKey).to.equal("0x" + Buffer.from(x25519.getPublicKey(secret)).toString("hex"));
    expect(publicKey).to.match(/^0x[0-9a-f]{64}$/);
    expect(x25519Public(secret)).to.equal(publicKey);
  });

  it("is stable per account, differs between accounts, and accepts the key without 0x", () => {
    const a = readerKeyFromAccountKey(DEV_KEY);
    expect(readerKeyFromAccountKey(DEV_KEY.slice(2)).publicKey).to.equal(a.publicKey);
    expect(readerKeyFromAccountKey(DEV_KEY.toUpperCase()).publicKey).to.equal(a.publicKey);
    expect(readerKeyFromAccountKey("0x" + "11".repeat(32)).publicKey).to.not.equal(a.publicKey);
  });

  it("a malformed account key or secret is a plugin error that does not show the key", async () => {
    const error = await expectFlaiError(() => readerKeyFromAccountKey(DEV_KEY.slice(0, 65)), "must be 0x followed by 64 hex digits");
    expect(error.message).to.not.contain(DEV_KEY.slice(2, 20));
    await expectFlaiError(() => x25519Public(new Uint8Array(31)), "must be 32 bytes", "got 31");
  });
});
