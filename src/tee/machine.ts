import { randomBytes } from "node:crypto";
import { closeSync, fsyncSync, linkSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from "node:fs";
import { readFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";

import { computeAddress } from "ethers/transaction";
import { hexlify } from "ethers/utils";

import { flaiError } from "../errors.js";
import { writeFileAtomic } from "../util/fs.js";

/**
 * Where this machine keeps what lives outside any one project: the sealing secret (stands in for
 * the CPU's sealing fuse key) and the dev attestation authority (stands in for the vendor's
 * attestation service). Overridable so tests and CI can use a throwaway folder.
 */
export function machineDir(): string {
  return process.env.FLAI_MACHINE_DIR ?? path.join(os.homedir(), ".config", "hardhat-flai");
}

/** Reads a 32-byte secret file, creating it (mode 0600) on first use. */
export async function loadOrCreateSecret(file: string, what: string): Promise<Uint8Array> {
  try {
    const bytes = await readFile(file);
    if (bytes.length !== 32) {
      throw flaiError(
        `The ${what} at ${file} is ${bytes.length} bytes, expected 32. It is damaged: restore it from a backup, ` +
          `or delete it to start over (everything sealed with it becomes unreadable).`,
      );
    }
    return new Uint8Array(bytes);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") {
      throw machineFileError(error, file, what, "read");
    }
  }
  const secret = randomBytes(32);
  try {
    await writeFileAtomic(file, secret, { mode: 0o600, overwrite: false });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") {
      return loadOrCreateSecret(file, what); // another process created it first: use theirs
    }
    throw machineFileError(error, file, what, "create");
  }
  return new Uint8Array(secret);
}

export function machineSealingSecret(): Promise<Uint8Array> {
  return loadOrCreateSecret(path.join(machineDir(), "sealing-secret"), "machine sealing secret");
}

export function attestationAuthorityKey(): Promise<Uint8Array> {
  return loadOrCreateSecret(path.join(machineDir(), "attestation-authority.key"), "dev attestation authority key");
}

/**
 * The dev attestation authority's address, synchronously: Ignition builds modules synchronously and
 * uses it as the default `attestationAuthority` parameter. Creates the key like {@link loadOrCreateSecret}
 * (temp file + link, so concurrent first uses agree on one key).
 */
export function devAuthorityAddressSync(): string {
  const file = path.join(machineDir(), "attestation-authority.key");
  return computeAddress(hexlify(loadOrCreateSecretSync(file, "dev attestation authority key")));
}

function loadOrCreateSecretSync(file: string, what: string): Uint8Array {
  try {
    const bytes = readFileSync(file);
    if (bytes.length !== 32) {
      throw flaiError(
        `The ${what} at ${file} is ${bytes.length} bytes, expected 32. It is damaged: restore it from a backup, or delete it to start over.`,
      );
    }
    return new Uint8Array(bytes);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") {
      throw machineFileError(error, file, what, "read");
    }
  }
  const tmp = `${file}.${randomBytes(6).toString("hex")}.tmp`;
  try {
    mkdirSync(path.dirname(file), { recursive: true });
    const fd = openSync(tmp, "wx", 0o600);
    try {
      writeSync(fd, randomBytes(32));
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    linkSync(tmp, file); // fails if another process created it first: then theirs is the key
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") {
      throw machineFileError(error, file, what, "create");
    }
  } finally {
    rmSync(tmp, { force: true });
  }
  return loadOrCreateSecretSync(file, what);
}

/**
 * A machine secret that cannot be read or created (a read-only home, FLAI_MACHINE_DIR naming a file,
 * the secret's path a folder): a plugin error saying which file and how to fix it, not a bare
 * EROFS/ENOTDIR/EISDIR stack trace (issue 15).
 */
function machineFileError(error: unknown, file: string, what: string, action: "read" | "create"): Error {
  const code = (error as NodeJS.ErrnoException).code ?? "error";
  if (code === "error" && error instanceof Error && "pluginId" in error) return error; // already explained
  return flaiError(
    `Could not ${action} the ${what} at ${file} (${code}). The machine folder ${machineDir()} must be a writable folder: ` +
      `fix its permissions, or point FLAI_MACHINE_DIR at a writable folder (the secret is created there on first use).`,
    error,
  );
}
