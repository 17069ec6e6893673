import { mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";

import { expect } from "chai";
import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { expectFlaiError } from "../helpers/assert.js";
import { FIXTURES, tempDir, tempProject } from "../helpers/project.js";

// Issue 15, data loss: flai:train --out notes.txt silently replaced the user's notes.txt and
// notes.txt.model.json. A user's file is only replaced with --force; a folder is named as such.
describe("bad input (issue 15): flai:train never overwrites a user's file without --force", function () {
  this.timeout(60_000);
  let hre: HardhatRuntimeEnvironment;
  let jobId: string;
  let dir: string;

  before(async function () {
    ({ hre } = await tempProject());
    await hre.flai.jobs.registerEnclave();
    const submitted = await hre.flai.jobs.submit({
      data: path.join(FIXTURES, "data.json"),
      model: path.join(FIXTURES, "model.json"),
      reward: "0.01",
      public: true, // a public job's flai:train writes the model file beside the result
    });
    jobId = submitted.job.id.toString();
    dir = await tempDir("flai-out-");
  });

  /** flai:train as the CLI runs it (its JSON output muted). */
  async function train(out: string, force = false): Promise<void> {
    const log = console.log;
    console.log = () => {};
    try {
      await hre.tasks.getTask("flai:train").run({ job: jobId, out, complete: false, json: true, force });
    } finally {
      console.log = log;
    }
  }

  it("an existing --out file is refused, left as it was, and nothing is written beside it", async () => {
    const notes = path.join(dir, "notes.txt");
    await writeFile(notes, "my notes\n");
    await expectFlaiError(() => train(notes), `${notes} already exists`, "--force");
    expect(await readFile(notes, "utf8")).to.equal("my notes\n");
    expect((await readdir(dir)).filter((f) => f.startsWith("notes") || f.startsWith(".notes"))).to.deep.equal(["notes.txt"]);
  });

  it("an existing model file beside a new --out is refused too", async () => {
    const model = path.join(dir, "run.model.json");
    await writeFile(model, "keep me");
    await expectFlaiError(() => train(path.join(dir, "run.json")), `${model} already exists`, "--force");
    expect(await readFile(model, "utf8")).to.equal("keep me");
    expect((await readdir(dir)).filter((f) => f.includes("run"))).to.deep.equal(["run.model.json"]);
  });

  it("--force replaces both files with the signed result and its model", async () => {
    const out = path.join(dir, "forced.json");
    await writeFile(out, "old");
    await writeFile(path.join(dir, "forced.model.json"), "old");
    await train(out, true);
    expect(JSON.parse(await readFile(out, "utf8"))).to.include({ format: "flai-result/v3", jobId });
    expect(JSON.parse(await readFile(path.join(dir, "forced.model.json"), "utf8"))).to.have.property("weights");
  });

  it("a folder as --out is named as a folder, with or without --force", async () => {
    const folder = path.join(dir, "results");
    await mkdir(folder);
    await expectFlaiError(() => train(folder), `${folder} is a folder`, "Pass a file path");
    await expectFlaiError(() => train(folder, true), `${folder} is a folder`);
    expect(await readdir(folder)).to.deep.equal([]);
  });

  it("an --out under a file (not a folder) is a clear error, not a stack trace", async () => {
    const file = path.join(dir, "plain");
    await writeFile(file, "x");
    await expectFlaiError(() => train(path.join(file, "r.json")), "cannot write", "ENOTDIR", "is a file, not a folder");
  });
});
