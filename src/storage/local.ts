import { constants } from "node:fs";
import { copyFile, link, mkdir, open, readFile, rename, rm, stat } from "node:fs/promises";
import path from "node:path";

import { flaiError, isFlaiError } from "../errors.js";
import { sweepStaleTemps, tempPathBeside, trackTempFile } from "../util/cleanup.js";
import { computeFileRoot, computeRoot } from "./merkle.js";
import { checkUploadSource } from "./upload-source.js";
import { parseRoot, type DownloadResult, type ReadOptions, type Root, type StorageBackend, type UploadResult } from "./types.js";

/**
 * Content-addressed store on the local disk: one file per object, named by its 0G root, so the
 * plugin can run without a 0G network and still hand out the same identities. Every object is
 * written through a temp file and rename, and every read re-checks the root, so a crash or a
 * tampered file can never pass for a valid object.
 */
export class LocalStorage implements StorageBackend {
  readonly kind = "local";
  readonly dir: string;
  #swept = false;

  constructor(dir: string) {
    this.dir = path.resolve(dir);
  }

  objectPath(root: Root): string {
    return path.join(this.dir, root.slice(2));
  }

  async upload(input: string | Uint8Array): Promise<UploadResult> {
    return typeof input === "string" ? this.uploadFile(input) : this.uploadBytes(input);
  }

  async has(root: string): Promise<boolean> {
    const object = this.objectPath(parseRoot(root, "storage root"));
    try {
      if ((await stat(object)).isFile()) return true;
    } catch (error) {
      if (errno(error) === "ENOENT") return false;
      if (errno(error) === "ENOTDIR") throw await this.storeError();
      throw ioError(`Cannot check local storage object ${object}`, error);
    }
    throw this.notAFile(object);
  }

  async read(root: string, opts: ReadOptions = {}): Promise<Uint8Array> {
    const expected = parseRoot(root, "storage root");
    const object = this.objectPath(expected);
    let bytes: Uint8Array;
    try {
      bytes = await readFile(object);
    } catch (error) {
      if (errno(error) === "EISDIR") throw this.notAFile(object);
      throw errno(error) === "ENOENT" ? this.missing(expected) : ioError(`Cannot read local storage object ${object}`, error);
    }
    if (opts.verify === false) return bytes;
    // An empty file has no 0G root at all (computeRoot refuses it): that is a damaged object too.
    const actual = bytes.length === 0 ? "none (the object is empty)" : computeRoot(bytes);
    if (actual !== expected) throw this.corrupted(expected, actual, "");
    return bytes;
  }

  async download(root: string, dest: string): Promise<DownloadResult> {
    const expected = parseRoot(root, "storage root");
    const target = path.resolve(dest);
    // An unusable store is the first thing to fix: saying "--out exists" first would send the user
    // to delete a file only to meet this next.
    await this.checkStoreFolder();
    await refuseExisting(target);
    const object = this.objectPath(expected);
    if (!(await this.has(expected))) throw this.missing(expected);
    if ((await stat(object)).size === 0) throw this.corrupted(expected, "none (the object is empty)", ` ${target} was not written.`);
    const size = await copyVerified(object, target, expected, {
      overwrite: false,
      mismatch: (actual) => this.corrupted(expected, actual, ` ${target} was not written.`),
    });
    return { root: expected, size, path: target };
  }

  private async uploadFile(file: string): Promise<UploadResult> {
    await checkUploadSource(file);
    const root = await computeFileRoot(file);
    const object = this.objectPath(root);
    if (await this.holdsIntact(root)) return this.alreadyStored(root, (await stat(file)).size, file);
    await this.ensureDir();
    // The copy is hashed again so that the object always matches its name, even if the source
    // file was being rewritten while we read it.
    const size = await copyVerified(file, object, root, {
      overwrite: true,
      mismatch: () =>
        flaiError(`${file} changed while it was being stored in ${this.dir}. Wait until nothing writes to it, then upload it again.`),
    });
    return { root, size, alreadyStored: false };
  }

  private async uploadBytes(bytes: Uint8Array): Promise<UploadResult> {
    const root = computeRoot(bytes);
    if (await this.holdsIntact(root)) return this.alreadyStored(root, bytes.length, "the data");
    await this.ensureDir();
    const object = this.objectPath(root);
    const tmp = tempPathBeside(object);
    const forget = trackTempFile(tmp);
    try {
      const handle = await open(tmp, "wx");
      try {
        await handle.writeFile(bytes);
        await handle.sync();
      } finally {
        await handle.close();
      }
      await rename(tmp, object);
    } catch (error) {
      await rm(tmp, { force: true });
      throw ioError(`Cannot write local storage object ${object}`, error);
    } finally {
      forget();
    }
    return { root, size: bytes.length, alreadyStored: false };
  }

  /**
   * A 0G root does not commit to the length: inputs that differ only by trailing zero bytes inside
   * the last padded chunk group share a root. Claiming "already stored" for those would silently
   * hand back different bytes later, so that case is an error.
   */
  private async alreadyStored(root: Root, size: number, what: string): Promise<UploadResult> {
    const object = this.objectPath(root);
    const stored = (await stat(object)).size;
    if (stored !== size) {
      throw flaiError(
        `Cannot store ${what} (${size} bytes): local storage ${this.dir} already holds ${object} with the same ` +
          `0G root ${root} but ${stored} bytes. The two differ only in trailing zero bytes, which a 0G root does ` +
          "not distinguish. Add a length header or a non-zero trailer to your data so it gets its own root.",
      );
    }
    return { root, size, alreadyStored: true };
  }

  /**
   * Whether the object for `root` is there and really has that root. A damaged object (0 bytes, cut
   * short, edited) is not "already stored": the upload of the original replaces it atomically, which
   * is how a user repairs it.
   */
  private async holdsIntact(root: Root): Promise<boolean> {
    if (!(await this.has(root))) return false;
    const object = this.objectPath(root);
    if ((await stat(object)).size === 0) return false;
    return (await computeFileRoot(object)) === root;
  }

  /** Creates the folder on the first write, sweeping temp files that killed writers left in it. */
  private async ensureDir(): Promise<void> {
    try {
      await mkdir(this.dir, { recursive: true });
    } catch (error) {
      if (errno(error) === "EEXIST" || errno(error) === "ENOTDIR") throw await this.storeError();
      throw ioError(`Cannot create the local storage folder ${this.dir}`, error);
    }
    if (!this.#swept) {
      this.#swept = true;
      await sweepStaleTemps(this.dir);
    }
  }

  /** Refuses a store path that exists but is not a folder (a missing one is an empty store). */
  private async checkStoreFolder(): Promise<void> {
    try {
      if ((await stat(this.dir)).isDirectory()) return;
    } catch (error) {
      if (errno(error) === "ENOENT") return;
      if (errno(error) !== "ENOTDIR") throw ioError(`Cannot check the local storage folder ${this.dir}`, error);
    }
    throw await this.storeError();
  }

  /** The store path, or a folder above it, is not a folder: named, with what it is. */
  private async storeError() {
    // The nearest existing path at or above the store: the file in the way (the store itself if none is found).
    let blocker = this.dir;
    for (let at = this.dir; path.dirname(at) !== at; at = path.dirname(at)) {
      const isFolder = await stat(at).then(
        (st) => st.isDirectory(),
        () => undefined,
      );
      if (isFolder === undefined) continue;
      if (!isFolder) blocker = at;
      break;
    }
    const where = blocker === this.dir ? `${this.dir} is a file` : `${blocker} (on its path) is a file`;
    return flaiError(
      `The local storage folder cannot be used: ${where}, not a folder, so nothing can be stored or read there. ` +
        "Move that file away (it is not storage data), or set flai.storage.path to a folder.",
    );
  }

  private notAFile(object: string) {
    return flaiError(
      `Local storage object ${object} is not a file (it is a folder or a device), so it cannot hold stored data. ` +
        `Remove it (if it holds nothing you need) and upload the original file again.`,
    );
  }

  private missing(root: Root) {
    return flaiError(
      `No object with root ${root} in local storage ${this.dir}. Upload the file first, or check that the ` +
        "root is right and that this is the storage folder it was uploaded to.",
      undefined,
      { code: "not-found" },
    );
  }

  private corrupted(expected: Root, actual: string, consequence: string) {
    const object = this.objectPath(expected);
    return flaiError(
      `Local storage object ${object} is corrupted: expected root ${expected}, but its content has root ${actual}.` +
        `${consequence} Delete ${object} and upload the original file again.`,
      undefined,
      { code: "root-mismatch" }, // src/verify/storage-fault.ts: a verifier's "mismatch"
    );
  }
}

/**
 * Copies `src` to a temp file beside `dest`, checks the copy's root, then moves it into place, so
 * `dest` only ever appears whole and verified. Returns the size in bytes.
 */
async function copyVerified(
  src: string,
  dest: string,
  expected: Root,
  opts: { overwrite: boolean; mismatch: (actual: Root) => Error },
): Promise<number> {
  try {
    await mkdir(path.dirname(dest), { recursive: true });
  } catch (error) {
    throw ioError(`Cannot create the folder ${path.dirname(dest)}`, error);
  }
  const tmp = tempPathBeside(dest);
  const forget = trackTempFile(tmp);
  try {
    try {
      await copyFile(src, tmp, constants.COPYFILE_EXCL);
      // Flush before the rename: after a crash, the name must not point at unwritten data.
      const handle = await open(tmp, "r+");
      try {
        await handle.sync();
      } finally {
        await handle.close();
      }
    } catch (error) {
      throw ioError(`Cannot copy ${src} to ${dest}`, error);
    }
    const actual = await computeFileRoot(tmp);
    if (actual !== expected) throw opts.mismatch(actual);
    const { size } = await stat(tmp);
    if (opts.overwrite) {
      await rename(tmp, dest);
    } else {
      await placeWithoutOverwrite(tmp, dest);
    }
    return size;
  } finally {
    await rm(tmp, { force: true });
    forget();
  }
}

/** link() fails if dest appeared meanwhile, so nothing is ever overwritten. */
async function placeWithoutOverwrite(tmp: string, dest: string): Promise<void> {
  try {
    await link(tmp, dest);
  } catch (error) {
    const code = errno(error);
    if (code === "EEXIST") throw destinationExists(dest);
    if (!["EPERM", "ENOTSUP", "EOPNOTSUPP", "ENOSYS"].includes(code ?? "")) throw ioError(`Cannot write ${dest}`, error);
    // Filesystems without hard links: check, then rename (a tiny race, but still never half-written).
    await refuseExisting(dest);
    await rename(tmp, dest);
  }
}

async function refuseExisting(dest: string): Promise<void> {
  try {
    await stat(dest);
  } catch (error) {
    if (errno(error) === "ENOENT") return;
    throw ioError(`Cannot check the destination ${dest}`, error);
  }
  throw destinationExists(dest);
}

function destinationExists(dest: string) {
  return flaiError(`Destination exists: ${dest}; choose another path or delete it.`);
}

function errno(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException | undefined)?.code;
}

function ioError(what: string, error: unknown) {
  if (isFlaiError(error)) return error;
  const reason = error instanceof Error ? error.message : String(error);
  return flaiError(`${what}: ${reason}. Check that the path exists and is writable/readable.`, error);
}
