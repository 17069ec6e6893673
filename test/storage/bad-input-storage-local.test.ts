import { existsSync } from "node:fs";
import { mkdir, readdir, rm, truncate, writeFile } from "node:fs/promises";
import path from "node:path";

import { expect } from "chai";

import { LocalStorage } from "../../src/storage/local.js";
import { expectFlaiError } from "../helpers/assert.js";
import { tempDir } from "../helpers/project.js";

describe("bad input (issue 15): the local content-addressed store", () => {
  let dir: string;
  let store: LocalStorage;
  const data = new TextEncoder().encode("federated weights, round 3\n".repeat(200));
  beforeEach(async () => {
    dir = await tempDir("flai-store-");
    store = new LocalStorage(path.join(dir, "storage"));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("a 0-byte object is reported as corrupted, and uploading the original again repairs it", async () => {
    const { root } = await store.upload(data);
    await truncate(store.objectPath(root), 0);
    await expectFlaiError(() => store.read(root), "is corrupted", "upload the original file again");
    await expectFlaiError(() => store.download(root, path.join(dir, "out.bin")), "is corrupted", "was not written");
    expect(existsSync(path.join(dir, "out.bin"))).to.equal(false);
    const again = await store.upload(data);
    expect(again.alreadyStored).to.equal(false);
    expect(await store.read(root)).to.deep.equal(data);
  });

  it("a cut-short object stored from a file is replaced by the re-upload of that file", async () => {
    const source = path.join(dir, "weights.bin");
    await writeFile(source, data);
    const { root } = await store.upload(source);
    await truncate(store.objectPath(root), 10);
    const again = await store.upload(source);
    expect(again.alreadyStored).to.equal(false);
    expect(await store.read(root)).to.deep.equal(data);
  });

  it("a folder where an object is expected is named as such on read, download and upload (no EISDIR stack)", async () => {
    const { root } = await store.upload(data);
    await rm(store.objectPath(root));
    await mkdir(path.join(store.objectPath(root), "inside"), { recursive: true });
    await expectFlaiError(() => store.read(root), "is not a file", store.objectPath(root), "Remove it");
    await expectFlaiError(() => store.download(root, path.join(dir, "out.bin")), "is not a file");
    await expectFlaiError(() => store.upload(data), "is not a file");
    expect(existsSync(path.join(dir, "out.bin"))).to.equal(false);
  });

  it("the first write sweeps temp files a killed writer left in the store, and leaves none of its own", async () => {
    await mkdir(store.dir, { recursive: true });
    const leftover = ".0123.999999999-0123456789ab.tmp";
    await writeFile(path.join(store.dir, leftover), new Uint8Array(1024));
    const { root } = await store.upload(data);
    expect(await readdir(store.dir)).to.deep.equal([root.slice(2)]);
  });
});
