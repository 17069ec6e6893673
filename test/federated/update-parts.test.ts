import { createHash, generateKeyPairSync } from "node:crypto";

import { expect } from "chai";

import { openUpdate, sealUpdate } from "../../src/federated/envelope.js";
import { decodeUpdate, encodeUpdate, encodeUpdateParts, type ClientUpdate } from "../../src/federated/update.js";

// A client seals its update from encodeUpdateParts (a header + views of its delta and gradient) instead
// of one plaintext copy (issue 14: fl-client's peak memory at 1e6 features). The bytes must be the ones
// encodeUpdate has always written, so the enclave opens and hashes the same plaintext.

const sha256 = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");
const hex = (b: Buffer) => "0x" + b.toString("hex");
const BINDING = {
  chainId: 31337n,
  contract: "0x5FbDB2315678afecb367f032d93F642f64180aa3",
  taskId: 1n,
  round: 1,
  client: "0x70997970C51812dc3A010C7d01b50e0d17dc79C8",
};

function update(values: number, gradient: boolean): ClientUpdate {
  const u: ClientUpdate = {
    delta: Float64Array.from({ length: values }, (_, i) => Math.sin(i) * 1e-3),
    numExamples: 24,
    metrics: { loss: 0.25, accuracy: 0.875 },
    baseModelHash: "0x" + "ab".repeat(32),
  };
  if (gradient) u.gradient = Float64Array.from({ length: values }, (_, i) => Math.cos(i) / 7);
  return u;
}

/** An X25519 key pair as the envelope takes it (raw 32-byte hex). */
function enclaveKeys(): { publicKey: string; secret: string } {
  const { publicKey, privateKey } = generateKeyPairSync("x25519");
  const pub = publicKey.export({ format: "jwk" });
  const priv = privateKey.export({ format: "jwk" });
  return { publicKey: hex(Buffer.from(pub.x!, "base64url")), secret: hex(Buffer.from(priv.d!, "base64url")) };
}

describe("fedavg update parts (sealing without a plaintext copy)", () => {
  it("encodeUpdate writes the bytes it wrote before parts existed (hashes from the previous encoder)", () => {
    // sha256 of the previous encodeUpdate's output (commit 566e13a) for these two updates, with the
    // header's example-count key renamed "numExamples" (issue 16; the pins before it, 5fbcb7d4… and
    // d4d6b3e6…, are of the same bytes with the old key name).
    expect(sha256(encodeUpdate(update(1001, false)))).to.equal("c1eb14430a28a4a4bb65e17ea8953d6106ce65451da46410b91a72702910f77b");
    expect(sha256(encodeUpdate(update(1001, true)))).to.equal("680113c6e6fa336c2fa82c65031577c0ecff01e03a21310d0677511cd6e034b0");
  });

  it("the parts are encodeUpdate's bytes, and view the delta and gradient in place (no copy)", () => {
    for (const withGradient of [false, true]) {
      const u = update(1001, withGradient);
      const parts = encodeUpdateParts(u);
      expect(Buffer.concat(parts).equals(encodeUpdate(u))).to.equal(true);
      expect(parts.length).to.equal(withGradient ? 3 : 2);
      expect(parts[1]!.buffer).to.equal(u.delta.buffer);
      if (withGradient) expect(parts[2]!.buffer).to.equal(u.gradient!.buffer);
    }
  });

  it("an envelope sealed from the parts opens to encodeUpdate's bytes, also across a 16 MiB segment boundary", function () {
    this.timeout(60_000);
    const keys = enclaveKeys();
    // 1.1e6 values with a gradient: 17.6 MB, so the segment boundary falls inside the delta's part.
    for (const [values, withGradient] of [
      [1001, true],
      [1_100_000, true],
    ] as const) {
      const u = update(values, withGradient);
      const whole = encodeUpdate(u);
      const fromParts = sealUpdate(encodeUpdateParts(u), keys.publicKey, BINDING);
      const fromWhole = sealUpdate(whole, keys.publicKey, BINDING);
      expect(fromParts.length).to.equal(fromWhole.length);
      const opened = openUpdate(fromParts, keys.secret, BINDING);
      expect(sha256(opened)).to.equal(sha256(whole));
      const decoded = decodeUpdate(opened, "the client");
      expect(
        Buffer.from(decoded.gradient!.buffer, decoded.gradient!.byteOffset, decoded.gradient!.byteLength).equals(
          Buffer.from(u.gradient!.buffer),
        ),
      ).to.equal(true);
    }
  });

  it("refuses a diverged update before sealing anything, as encodeUpdate did", () => {
    const u = update(5, true);
    u.delta[3] = Number.NaN;
    expect(() => encodeUpdateParts(u)).to.throw(/delta contains NaN at index 3/);
  });
});
