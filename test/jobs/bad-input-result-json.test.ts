import { mkdir, mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";

import { readResultFile } from "../../src/jobs/result-file.js";
import { expectFlaiError } from "../helpers/assert.js";

// Result files are user-named (flai:submit-result --result <file>): they go through the shared
// input readers, so a folder is named as one and a duplicate key is refused, not silently resolved.
describe("result file read as a checked input (issue 15)", () => {
  it("a directory given as the result file is named as a directory", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "flai-result-"));
    const file = path.join(dir, "result.json");
    await mkdir(file);
    await expectFlaiError(() => readResultFile(file), `Result "${file}" is a directory, not a regular file`);
  });

  it("a duplicate key in the result file is refused with its line", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "flai-result-"));
    const file = path.join(dir, "result.json");
    await writeFile(file, '{\n  "format": "x",\n  "format": "hardhat-flai-result"\n}\n');
    await expectFlaiError(() => readResultFile(file), `Result file "${file}" line 3`, `key "format" appears twice`);
  });

  it("JSON that is not an object is not a result, without a TypeError", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "flai-result-"));
    const file = path.join(dir, "result.json");
    await writeFile(file, "null\n");
    await expectFlaiError(() => readResultFile(file), `Result file "${file}" is not a hardhat-flai result`);
  });
});

// Issue 17: a v3 result signs the result's storage root; older files cannot complete a job any more.
describe("result file formats (issue 17)", () => {
  it("a flai-result/v2 file (no result root) is refused with how to get a new one", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "flai-result-"));
    const file = path.join(dir, "result.json");
    await writeFile(file, JSON.stringify({ format: "flai-result/v2", jobId: "4" }));
    await expectFlaiError(() => readResultFile(file), "flai-result/v2", "result root", "flai:train --job 4");
  });

  it("a v3 file without its private flag is refused, naming the field", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "flai-result-"));
    const file = path.join(dir, "result.json");
    await writeFile(file, JSON.stringify({ format: "flai-result/v3", jobId: "4" }));
    await expectFlaiError(() => readResultFile(file), `Result file "${file}" has no "private"`);
  });
});
