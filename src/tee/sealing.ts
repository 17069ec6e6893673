import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from "node:crypto";

const VERSION = 1;
const INFO = "hardhat-flai/seal/v1";

function sealingKey(machineSecret: Uint8Array, salt: Uint8Array): Buffer {
  return Buffer.from(hkdfSync("sha256", machineSecret, salt, INFO, 32));
}

/**
 * AES-256-GCM under a key derived from the machine secret, with a fresh salt per blob. The label is
 * authenticated, so a blob sealed for one purpose cannot be passed off as another.
 * Layout: version(1) | salt(16) | iv(12) | tag(16) | ciphertext.
 */
export function seal(plaintext: Uint8Array, machineSecret: Uint8Array, label: string): Uint8Array {
  const salt = randomBytes(16);
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", sealingKey(machineSecret, salt), iv);
  cipher.setAAD(Buffer.from(label));
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([Buffer.from([VERSION]), salt, iv, cipher.getAuthTag(), body]);
}

/** Returns undefined when the blob was not sealed on this machine for this label (or was altered). */
export function unseal(blob: Uint8Array, machineSecret: Uint8Array, label: string): Uint8Array | undefined {
  const b = Buffer.from(blob);
  if (b.length < 45 || b[0] !== VERSION) {
    return undefined;
  }
  const salt = b.subarray(1, 17);
  const iv = b.subarray(17, 29);
  const tag = b.subarray(29, 45);
  try {
    const decipher = createDecipheriv("aes-256-gcm", sealingKey(machineSecret, salt), iv);
    decipher.setAAD(Buffer.from(label));
    decipher.setAuthTag(tag);
    return new Uint8Array(Buffer.concat([decipher.update(b.subarray(45)), decipher.final()]));
  } catch {
    return undefined;
  }
}
