import { existsSync } from "node:fs";
import { mkdtemp, readFile, readdir, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";

import { expect } from "chai";
import { HardhatPluginError } from "hardhat/plugins";

import { LocalStorage } from "../../src/storage/local.js";
import { computeRoot } from "../../src/storage/merkle.js";
import { parseRoot } from "../../src/storage/types.js";

import { expectFlaiError } from "../helpers/assert.js";

/** Bytes spanning several segments with a partial last chunk, so padding is exercised too. */
function sample(size: number): Uint8Array {
  const out = new Uint8Array(size);
  for (let i = 0; i < size; i++) out[i] = (i * 31 + (i >>> 8)) & 0xff;
  return out;
}

describe("storage/local", function () {
  this.timeout(30_000);
  let work: string;
  let storeDir: string;
  let store: LocalStorage;

  beforeEach(async () => {
    work = await mkdtemp(path.join(tmpdir(), "flai-local-"));
    storeDir = path.join(work, ".flai", "storage");
    store = new LocalStorage(storeDir);
  });

  afterEach(async () => {
    await rm(work, { recursive: true, force: true });
  });

  it("creates nothing until the first write", async () => {
    const root = computeRoot(sample(10));
    expect(await store.has(root)).to.equal(false);
    expect(existsSync(storeDir)).to.equal(false);
  });

  it("uploads a file by path and bytes, under the same root", async () => {
    const bytes = sample(600_001);
    const file = path.join(work, "model.bin");
    await writeFile(file, bytes);

    const fromFile = await store.upload(file);
    expect(fromFile).to.deep.equal({ root: computeRoot(bytes), size: bytes.length, alreadyStored: false });
    expect(await store.has(fromFile.root)).to.equal(true);
    expect(await store.has(fromFile.root.toUpperCase().replace("0X", "0x"))).to.equal(true);

    const fromBytes = await store.upload(bytes);
    expect(fromBytes).to.deep.equal({ ...fromFile, alreadyStored: true });

    const other = await store.upload(sample(17));
    expect(other.alreadyStored).to.equal(false);
    expect(other.root).to.not.equal(fromFile.root);
    // Only finished objects are in the folder: no temp files left behind.
    expect((await readdir(storeDir)).sort()).to.deep.equal([fromFile.root.slice(2), other.root.slice(2)].sort());
  });

  it("re-uploads idempotently without rewriting the object", async () => {
    const file = path.join(work, "a.bin");
    await writeFile(file, sample(1000));
    const first = await store.upload(file);
    const object = store.objectPath(first.root);
    const before = await stat(object);
    const again = await store.upload(file);
    expect(again).to.deep.equal({ ...first, alreadyStored: true });
    // A rewrite would go through temp + rename and give the object a new inode.
    expect((await stat(object)).ino).to.equal(before.ino);
  });

  it("downloads byte-identical content and reads it verified", async () => {
    const bytes = sample(300_000);
    const { root } = await store.upload(bytes);
    const dest = path.join(work, "out", "nested", "copy.bin");
    const result = await store.download(root, dest);
    expect(result).to.deep.equal({ root, size: bytes.length, path: dest });
    expect(new Uint8Array(await readFile(dest))).to.deep.equal(bytes);
    expect(await store.read(root)).to.deep.equal(new Uint8Array(bytes));
    expect(await readdir(path.dirname(dest))).to.deep.equal(["copy.bin"]);
  });

  it("refuses to overwrite an existing destination", async () => {
    const { root } = await store.upload(sample(50));
    const dest = path.join(work, "taken.bin");
    await writeFile(dest, "keep me");
    await expectFlaiError(() => store.download(root, dest), "Destination exists", dest, "choose another path or delete it");
    expect(await readFile(dest, "utf8")).to.equal("keep me");
  });

  it("names the root and the storage folder when an object is missing", async () => {
    const root = computeRoot(sample(99));
    const dest = path.join(work, "never.bin");
    await expectFlaiError(() => store.download(root, dest), root, storeDir, "Upload the file first");
    await expectFlaiError(() => store.read(root), root, storeDir);
    expect(existsSync(dest)).to.equal(false);
  });

  it("detects a corrupted object, names both roots, and leaves no destination file", async () => {
    const bytes = sample(5000);
    const { root } = await store.upload(bytes);
    const object = store.objectPath(root);
    const tampered = new Uint8Array(await readFile(object));
    tampered[1234]! ^= 0x01;
    await writeFile(object, tampered);
    const actual = computeRoot(tampered);

    const dest = path.join(work, "out", "corrupt.bin");
    await expectFlaiError(() => store.download(root, dest), "corrupted", root, actual, object, dest);
    expect(existsSync(dest)).to.equal(false);
    expect(await readdir(path.dirname(dest))).to.deep.equal([]);
    await expectFlaiError(() => store.read(root), "corrupted", root, actual);
  });

  it("rejects malformed roots, naming the value", async () => {
    for (const bad of ["", "0x1234", "be0e21bf".repeat(8), `0x${"g".repeat(64)}`, `0x${"a".repeat(66)}`]) {
      await expectFlaiError(() => store.has(bad), "Invalid storage root", JSON.stringify(bad), "64 hex");
      await expectFlaiError(() => store.read(bad), JSON.stringify(bad));
      await expectFlaiError(() => store.download(bad, path.join(work, "x")), JSON.stringify(bad));
    }
    expect(() => parseRoot("nope", "model root")).to.throw(HardhatPluginError, /Invalid model root: "nope"/);
    expect(parseRoot(`  0x${"AB".repeat(32)} `, "root")).to.equal(`0x${"ab".repeat(32)}`);
  });

  it("names a missing input file, and an empty one", async () => {
    const missing = path.join(work, "missing.bin");
    await expectFlaiError(() => store.upload(missing), missing, "does not exist");
    const empty = path.join(work, "empty.bin");
    await writeFile(empty, "");
    await expectFlaiError(() => store.upload(empty), empty, "empty");
    expect(existsSync(storeDir)).to.equal(false);
  });

  it("refuses data that shares a root with a stored object of another length", async () => {
    const bytes = sample(1000);
    await store.upload(bytes);
    const longer = new Uint8Array(1001);
    longer.set(bytes);
    await expectFlaiError(() => store.upload(longer), "1001 bytes", "1000 bytes", "trailing zero");
  });
});
