import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, readdir, rm, writeFile } from "node:fs/promises";
import path from "node:path";

import { expect } from "chai";

import { LocalStorage } from "../../src/storage/local.js";
import { computeRoot } from "../../src/storage/merkle.js";
import { ZeroGStorage } from "../../src/storage/zerog.js";
import { storageFaultOf } from "../../src/verify/storage-fault.js";
import { expectFlaiError } from "../helpers/assert.js";
import { pluginProject, runHardhat } from "../helpers/cli.js";
import { tempDir } from "../helpers/project.js";

// Issue 15: a FIFO or a device given to flai:upload hung or filled memory (/dev/zero); a `.flai/storage`
// that is a file was reported, if at all, after an --out check. An upload's source must be a regular
// file, refused by what it is before anything is read; an unusable store is named first.

describe("storage inputs (issue 15): upload sources are regular files; an unusable local store is named first", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await tempDir("flai-store-");
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  /** A 0G client whose indexer does not exist: anything reaching the network would fail naming port 9. */
  const offline0g = () =>
    new ZeroGStorage({
      indexerUrl: "http://127.0.0.1:9",
      evmRpc: async () => "http://127.0.0.1:9",
      signer: async () => {
        throw new Error("no signer here");
      },
      timeoutSeconds: 5,
      retries: 0,
    });

  for (const backend of ["local", "0g"] as const) {
    const store = () => (backend === "local" ? new LocalStorage(path.join(dir, "store")) : offline0g());

    it(`${backend}: a FIFO as the upload source is refused by what it is, without blocking`, async () => {
      const fifo = path.join(dir, "pipe");
      execFileSync("mkfifo", [fifo]);
      const error = await expectFlaiError(() => store().upload(fifo), fifo, "named pipe (FIFO)", "not a regular file");
      expect(error.message).to.not.contain("127.0.0.1:9");
    });

    it(`${backend}: /dev/zero as the upload source is refused as a device, nothing read`, async () => {
      await expectFlaiError(() => store().upload("/dev/zero"), "/dev/zero", "character device");
    });

    it(`${backend}: a folder as the upload source is named as a directory`, async () => {
      await expectFlaiError(() => store().upload(dir), dir, "directory");
    });
  }

  it("a corrupted local object and a missing one carry the codes verifiers decide by (root-mismatch, not-found)", async () => {
    const store = new LocalStorage(path.join(dir, "store"));
    const { root } = await store.upload(Buffer.from("original bytes"));
    await writeFile(store.objectPath(root), "tampered bytes");
    expect(storageFaultOf(await expectFlaiError(() => store.read(root), "corrupted"))).to.equal("root-mismatch");
    const absent = computeRoot(Buffer.from("never stored"));
    expect(storageFaultOf(await expectFlaiError(() => store.download(absent, path.join(dir, "x.bin")), absent))).to.equal("not-found");
  });

  it("a missing upload source still says it does not exist", async () => {
    const missing = path.join(dir, "nope.bin");
    await expectFlaiError(() => new LocalStorage(path.join(dir, "store")).upload(missing), missing, "does not exist");
  });

  it("a store path that is a file: download names the store before an existing --out, and writes nothing", async () => {
    const storePath = path.join(dir, "storage");
    await writeFile(storePath, "not a folder");
    const out = path.join(dir, "out.bin");
    await writeFile(out, "mine");
    const error = await expectFlaiError(
      () => new LocalStorage(storePath).download(computeRoot(Buffer.from("x")), out),
      storePath,
      "is a file",
      "flai.storage.path",
    );
    expect(error.message).to.not.contain("Destination exists");
    expect((await readdir(dir)).sort()).to.deep.equal(["out.bin", "storage"]);
  });

  it("a file on the store's path (.flai is a file): upload and has name that file, not a raw ENOTDIR/EEXIST", async () => {
    await writeFile(path.join(dir, ".flai"), "");
    const store = new LocalStorage(path.join(dir, ".flai", "storage"));
    const source = path.join(dir, "data.bin");
    await writeFile(source, "some bytes");
    await expectFlaiError(() => store.upload(source), path.join(dir, ".flai"), "(on its path) is a file");
    await expectFlaiError(() => store.has(computeRoot(Buffer.from("x"))), path.join(dir, ".flai"), "is a file");
  });

  it("flai:upload of a FIFO and flai:download into a project whose .flai/storage is a file: plugin errors, no stack trace", async function () {
    this.timeout(60_000);
    const { project, env } = await pluginProject("flai-store-cli");
    const fifo = path.join(project, "pipe");
    execFileSync("mkfifo", [fifo]);
    const upload = await runHardhat(["flai:upload", fifo], { cwd: project, env });
    expect(upload.code).to.not.equal(0);
    expect(upload.stderr).to.contain("named pipe (FIFO)").and.not.contain("    at ");

    await mkdir(path.join(project, ".flai"), { recursive: true });
    await writeFile(path.join(project, ".flai", "storage"), "");
    await writeFile(path.join(project, "out.bin"), "mine");
    const download = await runHardhat(["flai:download", computeRoot(Buffer.from("x")), "out.bin"], { cwd: project, env });
    expect(download.code).to.not.equal(0);
    expect(download.stderr)
      .to.contain(path.join(project, ".flai", "storage"))
      .and.contain("is a file")
      .and.not.contain("    at ");
    expect(existsSync(path.join(project, "out.bin"))).to.equal(true);
    await rm(project, { recursive: true, force: true });
  });
});
