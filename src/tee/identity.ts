import { randomBytes } from "node:crypto";
import { readFile } from "node:fs/promises";
import path from "node:path";

import { x25519 } from "@noble/curves/ed25519.js";
import { computeAddress } from "ethers/transaction";
import { getBytes, hexlify } from "ethers/utils";

import { flaiError } from "../errors.js";
import { writeFileAtomic } from "../util/fs.js";

import { machineSealingSecret } from "./machine.js";
import { seal, unseal } from "./sealing.js";

/** The enclave's public identity: what it attests to and what others encrypt to / verify against. */
export interface EnclaveIdentity {
  /** Address of the secp256k1 key the enclave signs results with. */
  signer: string;
  /** X25519 public key (hex) clients encrypt their updates to. */
  encryptionKey: string;
  createdAt: string;
}

/** Only ever held inside the enclave (the worker thread) once unsealed. */
export interface EnclaveSecrets {
  signingKey: string;
  encryptionSecret: string;
  /** When the identity was created; sealed with the keys so every reader derives the same identity.json. */
  createdAt?: string;
}

const PUBLIC_FILE = "identity.json";
const SEALED_FILE = "keys.sealed";
const SEAL_LABEL = "hardhat-flai/enclave-keys";

/** The public half of the sealed keys: what the enclave attests to. */
export function identityOf(secrets: EnclaveSecrets): EnclaveIdentity {
  return {
    signer: computeAddress(secrets.signingKey),
    encryptionKey: hexlify(x25519.getPublicKey(getBytes(secrets.encryptionSecret))),
    createdAt: secrets.createdAt ?? new Date(0).toISOString(),
  };
}

/**
 * The enclave's identity, created on first use. Creation is atomic across processes: the sealed keys
 * are the single commit point, linked into place only if absent (exclusive), so concurrent first uses
 * race on one file and exactly one wins; every loser unseals the winner's keys. identity.json is only
 * ever derived from the sealed keys (same bytes whoever writes it), so it can never name other keys.
 */
export async function loadOrCreateIdentity(dir: string): Promise<EnclaveIdentity> {
  const existing = await readIdentity(dir);
  if (existing !== undefined) {
    return existing;
  }
  const secrets = await createOrLoadSecrets(dir);
  const identity = identityOf(secrets);
  await writeFileAtomic(path.join(dir, PUBLIC_FILE), JSON.stringify(identity, null, 2) + "\n");
  return identity;
}

async function createOrLoadSecrets(dir: string): Promise<EnclaveSecrets> {
  const secrets: EnclaveSecrets = {
    signingKey: hexlify(randomBytes(32)),
    encryptionSecret: hexlify(randomBytes(32)),
    createdAt: new Date().toISOString(),
  };
  const sealed = seal(Buffer.from(JSON.stringify(secrets)), await machineSealingSecret(), SEAL_LABEL);
  try {
    await writeFileAtomic(path.join(dir, SEALED_FILE), sealed, { mode: 0o600, overwrite: false });
    return secrets;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") {
      throw error;
    }
    return unsealSecrets(dir); // another process created the identity first: it is the one
  }
}

export async function readIdentity(dir: string): Promise<EnclaveIdentity | undefined> {
  let text: string;
  try {
    text = await readFile(path.join(dir, PUBLIC_FILE), "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") {
      return undefined;
    }
    throw error;
  }
  try {
    const parsed = JSON.parse(text) as EnclaveIdentity;
    if (typeof parsed.signer !== "string" || typeof parsed.encryptionKey !== "string") {
      throw new Error("missing signer or encryptionKey");
    }
    return parsed;
  } catch (error) {
    throw flaiError(
      `The enclave identity ${path.join(dir, PUBLIC_FILE)} is damaged (${(error as Error).message}). ` +
        `Delete the folder ${dir} to create a new enclave identity (it must then be registered on-chain again).`,
    );
  }
}

/** Unseals the enclave's keys; fails unless they were sealed on this machine. */
export async function unsealSecrets(dir: string): Promise<EnclaveSecrets> {
  const file = path.join(dir, SEALED_FILE);
  let blob: Uint8Array;
  try {
    blob = await readFile(file);
  } catch {
    throw flaiError(`The enclave's sealed keys ${file} are missing. Delete ${dir} to create a new enclave identity.`);
  }
  const plain = unseal(blob, await machineSealingSecret(), SEAL_LABEL);
  if (plain === undefined) {
    throw flaiError(
      `The enclave's sealed keys ${file} cannot be unsealed on this machine (sealed elsewhere, or altered). ` +
        `Run the enclave on the machine that created it, or delete ${dir} to create a new identity.`,
    );
  }
  const secrets = JSON.parse(Buffer.from(plain).toString("utf8")) as EnclaveSecrets;
  getBytes(secrets.signingKey);
  return secrets;
}
