import { mkdir, readdir, writeFile } from "node:fs/promises";
import path from "node:path";

import { expect } from "chai";

import { devAuthorityAddressSync, machineSealingSecret } from "../../src/tee/machine.js";

import { expectFlaiError } from "../helpers/assert.js";
import { tempDir } from "../helpers/project.js";

// Issue 15: an unwritable machine folder was a bare EROFS/ENOENT stack trace on first enclave use.
// Tests run as root, which ignores permission bits, so the folder is made unusable by its shape: a
// file where the folder should be (ENOTDIR), or a folder where the secret file should be (EISDIR).
describe("bad input (issue 15): an unusable machine folder is a clear error on first enclave use", () => {
  const saved = process.env.FLAI_MACHINE_DIR;
  let dir: string;

  before(async () => {
    dir = await tempDir("flai-machine-bad-");
  });
  afterEach(() => {
    process.env.FLAI_MACHINE_DIR = saved;
  });

  it("FLAI_MACHINE_DIR naming a file: the sealing secret cannot be read or created, and the error says how to fix it", async () => {
    const file = path.join(dir, "not-a-folder");
    await writeFile(file, "x");
    process.env.FLAI_MACHINE_DIR = file;
    await expectFlaiError(() => machineSealingSecret(), "the machine sealing secret at", "ENOTDIR", "FLAI_MACHINE_DIR");
  });

  it("the same for the dev attestation authority, created synchronously (an Ignition default)", async () => {
    process.env.FLAI_MACHINE_DIR = path.join(dir, "not-a-folder", "below");
    await expectFlaiError(() => devAuthorityAddressSync(), "dev attestation authority key", "ENOTDIR", "writable folder");
  });

  it("a folder where the secret file should be is named (EISDIR), not a stack trace; no temp file is left", async () => {
    const machine = path.join(dir, "machine");
    await mkdir(path.join(machine, "sealing-secret"), { recursive: true });
    await mkdir(path.join(machine, "attestation-authority.key"), { recursive: true });
    process.env.FLAI_MACHINE_DIR = machine;
    await expectFlaiError(() => machineSealingSecret(), "Could not read the machine sealing secret", "EISDIR");
    await expectFlaiError(() => devAuthorityAddressSync(), "Could not read the dev attestation authority key", "EISDIR");
    expect((await readdir(machine)).sort()).to.deep.equal(["attestation-authority.key", "sealing-secret"]);
  });
});
