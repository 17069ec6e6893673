import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtemp, mkdir, readdir, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";

import { trackedTempFiles } from "../../src/util/cleanup.js";
import { writeFileAtomic } from "../../src/util/fs.js";

const SIGTERM_SCRIPT = path.join(import.meta.dirname, "..", "helpers", "atomic-write-sigterm.ts");

describe("writeFileAtomic temp files (issue 15)", () => {
  it("an error during the write (rename onto a non-empty folder) leaves no temp file and nothing tracked", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "flai-atomic-"));
    const dest = path.join(dir, "out.json");
    await mkdir(dest);
    await writeFile(path.join(dest, "keep"), "x");
    await assert.rejects(writeFileAtomic(dest, "{}"));
    assert.deepEqual(await readdir(dir), ["out.json"]);
    assert.deepEqual(trackedTempFiles(), []);
  });

  it("registers the pid-stamped temp path while writing and forgets it after", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "flai-atomic-"));
    const dest = path.join(dir, "out.bin");
    let done = false;
    const writing = writeFileAtomic(dest, Buffer.alloc(16 * 1024 * 1024)).finally(() => {
      done = true;
    });
    // The path is registered once the folder exists; watch for it between the write's chunks.
    let during: string[] = [];
    while (!done && during.length === 0) {
      await new Promise((resolve) => setImmediate(resolve));
      during = trackedTempFiles();
    }
    await writing;
    assert.equal(during.length, 1);
    assert.equal(path.dirname(during[0]!), dir);
    assert.match(path.basename(during[0]!), new RegExp(`^\\.out\\.bin\\.${process.pid}-[0-9a-f]{12}\\.tmp$`));
    assert.deepEqual(trackedTempFiles(), []);
    assert.deepEqual(await readdir(dir), ["out.bin"]);
  });

  it("a process that gets SIGTERM mid-write leaves no temp file", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "flai-atomic-"));
    const outcome = await new Promise<{ signal: NodeJS.Signals | null; stdout: string }>((resolve) => {
      execFile(process.execPath, ["--import", import.meta.resolve("tsx/esm"), SIGTERM_SCRIPT, dir], (error, stdout) => {
        resolve({ signal: (error as { signal?: NodeJS.Signals } | null)?.signal ?? null, stdout });
      });
    });
    assert.equal(outcome.stdout, "", "the write finished before the signal; the test did not exercise the mid-write case");
    assert.equal(outcome.signal, "SIGTERM");
    assert.deepEqual(await readdir(dir), []);
  });
});
