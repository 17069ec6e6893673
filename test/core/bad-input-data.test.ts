// Issue 15, local input files (src/inputs.ts readLocalFile): only regular files are read, and their
// size is checked before anything is read — a FIFO used to block for ever, /dev/zero to fill memory,
// and a directory to surface as a raw EISDIR.
import { execFileSync } from "node:child_process";
import { rm, truncate, writeFile } from "node:fs/promises";
import path from "node:path";

import { expect } from "chai";

import { MAX_LOCAL_FILE_BYTES, readLocalFile } from "../../src/inputs.js";
import { expectFlaiError } from "../helpers/assert.js";
import { tempDir } from "../helpers/project.js";

describe("bad input: local files that are not regular files, or too large", () => {
  it("refuses a named pipe (FIFO) at once instead of blocking on it", async () => {
    const dir = await tempDir();
    const fifo = path.join(dir, "data.csv");
    execFileSync("mkfifo", [fifo]);
    try {
      await expectFlaiError(() => readLocalFile(fifo, "--data"), "--data", fifo, "named pipe (FIFO)", "not a regular file");
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("refuses a character device (/dev/zero) instead of reading it for ever", async () => {
    await expectFlaiError(() => readLocalFile("/dev/zero", "--data"), '--data "/dev/zero"', "character device", "not a regular file");
  });

  it("refuses a directory by what it is, not with a raw EISDIR", async () => {
    const dir = await tempDir();
    try {
      const error = await expectFlaiError(
        () => readLocalFile(dir, "--model"),
        "--model",
        dir,
        "is a directory",
        "Give the path of the file itself",
      );
      expect(error.message).not.to.contain("EISDIR");
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("refuses a file over the size limit from its size, before reading it", async () => {
    const dir = await tempDir();
    const big = path.join(dir, "big.csv");
    await writeFile(big, "");
    await truncate(big, MAX_LOCAL_FILE_BYTES + 1); // sparse: no disk, and nothing is read
    try {
      await expectFlaiError(() => readLocalFile(big, "--data"), "--data", big, `${MAX_LOCAL_FILE_BYTES + 1} bytes`, "limit");
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("still names a missing path as before", async () => {
    await expectFlaiError(() => readLocalFile("/no/such/file.csv", "--data"), '--data file "/no/such/file.csv" cannot be read (ENOENT)');
  });
});
