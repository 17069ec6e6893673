import { diffieHellman, hkdfSync } from "node:crypto";

import { flaiError } from "../errors.js";
import { canonicalJson } from "../ml/model.js";
import { canonicalAddress, canonicalUint } from "./binding.js";
import { hexBytes } from "./hex.js";
import { x25519PrivateKeyObject, x25519PublicKeyObject } from "./x25519.js";

/**
 * What a pair key is for. The key is bound to all of it (HKDF info), so a key made for one job,
 * task, contract, chain or party never opens another's artifacts.
 * - "job-input": submitter ↔ enclave, the job's dataset and model spec (no id: made before the job exists).
 * - "job-result": enclave ↔ submitter, the trained model of job `id`.
 * - "task-key": creator ↔ reader, wrapping task `id`'s key in a keyring.
 */
export interface PairInfo {
  purpose: "job-input" | "job-result" | "task-key";
  chainId: bigint;
  /** The contract the job or task lives in (FLAIComputeJobs / FLAIFederated). */
  contract: string;
  /** The non-enclave / non-creator party: the job's submitter, or the keyring entry's reader. */
  party: string;
  /** Job or task id; absent counts as 0 (so a caller writing 0n or leaving it out derives the same key). */
  id?: bigint;
}

const SALT = "hardhat-flai";
const PURPOSES = new Set(["job-input", "job-result", "task-key"]);

/**
 * The symmetric key two parties share: HKDF-SHA256(X25519(mySecret, theirPublicKey), salt
 * "hardhat-flai", info = canonical JSON of `info`). Static-static: both ends compute it from their own
 * secret and the other's registered public key, so nothing ephemeral has to travel with the artifact.
 * A public key that is not 32 bytes, or a low-order point (the shared secret would be all zeros, known
 * to anyone), is refused.
 */
export function pairKey(mySecret: Uint8Array, theirPublicKey: string, info: PairInfo): Uint8Array {
  if (!(mySecret instanceof Uint8Array) || mySecret.length !== 32) {
    throw flaiError(
      `pairKey: the own X25519 secret must be 32 bytes, got ${mySecret instanceof Uint8Array ? mySecret.length : typeof mySecret}.`,
    );
  }
  const theirs = hexBytes(theirPublicKey, 32, "A reader key (X25519 public key)");
  let shared: Uint8Array;
  try {
    shared = diffieHellman({ privateKey: x25519PrivateKeyObject(mySecret), publicKey: x25519PublicKeyObject(theirs) });
  } catch (error) {
    throw lowOrder(theirPublicKey, error);
  }
  // OpenSSL refuses an all-zero result already; checked again so the guarantee does not rest on it.
  if (shared.every((b) => b === 0)) throw lowOrder(theirPublicKey);
  return new Uint8Array(hkdfSync("sha256", shared, SALT, pairInfoText(info), 32));
}

/** The HKDF info string: canonical JSON with decimal ids and checksummed addresses. */
export function pairInfoText(info: PairInfo): string {
  if (!PURPOSES.has(info.purpose)) {
    throw flaiError(`pairKey: purpose must be one of ${[...PURPOSES].join(", ")}, got ${JSON.stringify(info.purpose)}.`);
  }
  return canonicalJson({
    purpose: info.purpose,
    chainId: canonicalUint(info.chainId, "pairKey: chainId", 1n),
    contract: canonicalAddress(info.contract, "pairKey: contract"),
    party: canonicalAddress(info.party, "pairKey: party"),
    id: canonicalUint(info.id ?? 0n, "pairKey: id"),
  });
}

function lowOrder(publicKey: string, cause?: unknown) {
  return flaiError(
    `The reader key ${publicKey} is not a usable X25519 public key (a low-order point: the shared key would be public). ` +
      `Its owner must register the key flai derives from their account (flai:reader-key --register).`,
    cause,
    { code: "reader-key-invalid" },
  );
}
