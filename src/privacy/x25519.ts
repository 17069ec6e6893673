import { createPrivateKey, createPublicKey, type KeyObject } from "node:crypto";

// X25519 through node:crypto (OpenSSL), as src/federated/envelope.ts does: ~10× faster than pure JS,
// same RFC 7748 results. Raw 32-byte keys go in and out through the fixed DER prefixes of PKCS#8 and
// SPKI for OID 1.3.101.110. Kept separate from envelope.ts so the privacy modules share one copy
// without changing the update envelope's module (part of the enclave measurement).
const PKCS8_X25519 = Buffer.from("302e020100300506032b656e04220420", "hex");
const SPKI_X25519 = Buffer.from("302a300506032b656e032100", "hex");

export function x25519PrivateKeyObject(secret: Uint8Array): KeyObject {
  return createPrivateKey({ key: Buffer.concat([PKCS8_X25519, secret]), format: "der", type: "pkcs8" });
}

export function x25519PublicKeyObject(publicKey: Uint8Array): KeyObject {
  return createPublicKey({ key: Buffer.concat([SPKI_X25519, publicKey]), format: "der", type: "spki" });
}

export function rawPublicKey(key: KeyObject): Uint8Array {
  return new Uint8Array(key.export({ format: "der", type: "spki" }).subarray(SPKI_X25519.length));
}
