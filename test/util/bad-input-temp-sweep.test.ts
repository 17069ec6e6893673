import { mkdtemp, readdir, rm, utimes, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";

import { expect } from "chai";

import { LocalStorage } from "../../src/storage/local.js";
import { sweepStaleTemps } from "../../src/util/cleanup.js";

// Before session 5, writeFileAtomic and the local store named temp files `.name.<12 hex>.tmp` (no pid).
const OLD_NAME = ".object.0123456789ab.tmp";

describe("bad input (issue 15): old-format temp files (no pid) are swept once old", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "flai-sweep-"));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function ageHours(file: string, hours: number): Promise<void> {
    const then = new Date(Date.now() - hours * 3600 * 1000);
    await utimes(file, then, then);
  }

  it("removes an old-format temp file older than an hour, keeps a fresh one (its writer may still run)", async () => {
    const old = path.join(dir, OLD_NAME);
    const fresh = path.join(dir, ".other.fedcba987654.tmp");
    await writeFile(old, "half");
    await writeFile(fresh, "half");
    await ageHours(old, 2);
    expect(await sweepStaleTemps(dir)).to.deep.equal([OLD_NAME]);
    expect(await readdir(dir)).to.deep.equal([path.basename(fresh)]);
  });

  it("leaves old files that only look similar: not hidden, not 12 hex digits, not .tmp", async () => {
    const lookalikes = ["object.0123456789ab.tmp", ".object.0123456789.tmp", ".object.0123456789ab.bak", ".object.0123456789AB.tmp"];
    for (const name of lookalikes) {
      await writeFile(path.join(dir, name), "user data");
      await ageHours(path.join(dir, name), 2);
    }
    expect(await sweepStaleTemps(dir)).to.deep.equal([]);
    expect((await readdir(dir)).sort()).to.deep.equal([...lookalikes].sort());
  });

  it("the local store sweeps an old-format temp file on its first write", async () => {
    const old = path.join(dir, OLD_NAME);
    await writeFile(old, "half of an upload from an old version");
    await ageHours(old, 3);
    const store = new LocalStorage(dir);
    const { root } = await store.upload(new TextEncoder().encode("hello"));
    const names = await readdir(dir);
    expect(names).to.not.include(OLD_NAME);
    expect(names.some((name) => name.includes(root.slice(2, 10)))).to.equal(true);
  });
});
