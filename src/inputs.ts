import { constants, existsSync, type Stats } from "node:fs";
import { open, type FileHandle } from "node:fs/promises";

import { flaiError, isFlaiError } from "./errors.js";
import { isZip } from "./ml/dataset.js";
import { readFully, readNpzInPlace } from "./ml/npz-file.js";
import { DEFAULT_NPZ_ARRAYS } from "./ml/npz-dataset.js";
import type { StorageBackend } from "./storage/types.js";
import { parseRoot } from "./storage/types.js";
import { fileKind, MAX_LOCAL_FILE_BYTES } from "./util/local-file.js";

// The local-file limit lives in util/ (storage reads and streams files too); re-exported where inputs are read.
export { MAX_LOCAL_FILE_BYTES };

export interface Input {
  bytes: Uint8Array;
  /** What error messages call it: the path, or "<what> <root>". */
  source: string;
  /** Set when the input was given as a root already in storage. */
  root?: string;
}

/**
 * A task input given as a file path or as the 0G root of something already stored. A value that
 * looks like a root but is not a file is treated (and validated) as a root.
 */
export async function readInput(value: string, what: string, storage: StorageBackend): Promise<Input> {
  if (!existsSync(value) && value.startsWith("0x")) {
    const root = parseRoot(value, what);
    if (!(await storage.has(root))) {
      throw flaiError(`${what} ${root} is not in storage (${storage.kind}). Upload the file first: npx hardhat flai:upload <file>`);
    }
    return { bytes: await storage.read(root), source: `${what} ${root}`, root };
  }
  return { bytes: await readLocalFile(value, what), source: value };
}

/**
 * A local file's bytes, read once into memory of their own (no second copy). An .npz dataset is read
 * so that its features can be parsed in place (ml/npz-file.ts). Only regular files are read (issue
 * 15): a FIFO would block forever and a device (/dev/zero) never ends, so either is refused by what
 * it is, as is a directory; the file is opened without blocking and checked with fstat, so what is
 * checked is what is read.
 */
export async function readLocalFile(file: string, what: string): Promise<Uint8Array> {
  let handle: FileHandle | undefined;
  try {
    try {
      handle = await open(file, constants.O_RDONLY | constants.O_NONBLOCK);
    } catch (error) {
      throw cannotRead(file, what, error);
    }
    const stats = await handle.stat();
    refuseUnreadable(stats, file, what);
    return await readOpenFile(handle, stats);
  } catch (error) {
    throw isFlaiError(error) ? error : cannotRead(file, what, error);
  } finally {
    await handle?.close();
  }
}

function cannotRead(file: string, what: string, error: unknown): Error {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === "EISDIR") return notAFile(file, what, "a directory");
  return flaiError(`${what} file "${file}" cannot be read (${code ?? (error as Error).message}). Check the path.`);
}

function notAFile(file: string, what: string, kind: string): Error {
  return flaiError(`${what} "${file}" is ${kind}, not a regular file. Give the path of the file itself.`);
}

/** Refuses anything but a regular file of at most MAX_LOCAL_FILE_BYTES, naming what it is. */
function refuseUnreadable(stats: Stats, file: string, what: string): void {
  if (!stats.isFile()) throw notAFile(file, what, fileKind(stats));
  if (stats.size > MAX_LOCAL_FILE_BYTES) {
    throw flaiError(
      `${what} file "${file}" is ${stats.size} bytes, over the ${MAX_LOCAL_FILE_BYTES}-byte limit for a local input. ` +
        `Check the path, or split the data across federated clients.`,
    );
  }
}

async function readOpenFile(handle: FileHandle, stats: Stats): Promise<Uint8Array> {
  if (stats.size === 0) return new Uint8Array(0);
  const head = await readFully(handle, new Uint8Array(Math.min(4, stats.size)));
  if (isZip(head)) return readNpzInPlace(handle, stats.size, DEFAULT_NPZ_ARRAYS.features);
  return readFully(handle, new Uint8Array(stats.size));
}
