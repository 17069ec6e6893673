import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readdir, rm, utimes, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";

import { expect } from "chai";

import { sweepStaleTemps, tempPathBeside, trackedTempFiles, withTempFile } from "../../src/util/cleanup.js";

const CLEANUP_MODULE = path.resolve(import.meta.dirname, "..", "../src/util/cleanup.ts");

describe("bad input (issue 15): temp files never outlive their writer", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "flai-cleanup-"));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("removes the temp file when the writer fails, and forgets it", async () => {
    let seen = "";
    const failure = await withTempFile(path.join(dir, "object"), async (tmp) => {
      seen = tmp;
      await writeFile(tmp, "half");
      throw new Error("disk went away");
    }).catch((error: Error) => error);
    expect(String(failure)).to.contain("disk went away");
    expect(existsSync(seen)).to.equal(false);
    expect(trackedTempFiles()).to.not.include(seen);
  });

  it("a writer stopped by SIGINT or SIGTERM removes its temp file and still ends by the signal", async () => {
    for (const signal of ["SIGINT", "SIGTERM"] as const) {
      const dest = path.join(dir, `object-${signal}`);
      // A child that registers a temp file, says so, and waits forever (as a download in progress would).
      const script =
        `const c = await import(${JSON.stringify(CLEANUP_MODULE)});` +
        `const fs = await import("node:fs");` +
        `const tmp = c.tempPathBeside(${JSON.stringify(dest)}); fs.writeFileSync(tmp, "x".repeat(1000)); c.trackTempFile(tmp);` +
        `console.log("READY " + tmp); setInterval(() => {}, 1000);`;
      const child = spawn(process.execPath, ["--input-type=module", "-e", script], { stdio: ["ignore", "pipe", "inherit"] });
      const tmp = await new Promise<string>((resolve) => {
        let out = "";
        child.stdout.on("data", (d: Buffer) => {
          out += d.toString();
          const match = /READY (\S+)/.exec(out);
          if (match !== null) resolve(match[1]!); // (\S+) matched: the group is set
        });
      });
      expect(existsSync(tmp)).to.equal(true);
      const ended = new Promise<NodeJS.Signals | null>((resolve) => child.once("exit", (_code, sig) => resolve(sig)));
      child.kill(signal);
      expect(await ended).to.equal(signal);
      expect(existsSync(tmp), `${signal} left ${tmp}`).to.equal(false);
    }
  });

  it("the next start sweeps temp files of dead writers and old ones, but not a live writer's or the user's files", async () => {
    const dead = path.join(dir, ".object-a.999999999-0123456789ab.tmp");
    const live = tempPathBeside(path.join(dir, "object-b"));
    const old = path.join(dir, `.object-c.${process.ppid}-0123456789ab.tmp`);
    const user = path.join(dir, ".my-notes.tmp");
    for (const file of [dead, live, old, user]) await writeFile(file, "x");
    const twoHoursAgo = new Date(Date.now() - 2 * 3600 * 1000);
    await utimes(old, twoHoursAgo, twoHoursAgo);
    const removed = await sweepStaleTemps(dir);
    expect(removed.sort()).to.deep.equal([path.basename(dead), path.basename(old)].sort());
    expect((await readdir(dir)).sort()).to.deep.equal([path.basename(live), path.basename(user)].sort());
  });
});
