import { existsSync } from "node:fs";
import { open, type FileHandle } from "node:fs/promises";

import { flaiError } from "./errors.js";
import { isZip } from "./ml/dataset.js";
import { readFully, readNpzInPlace } from "./ml/npz-file.js";
import { DEFAULT_NPZ_ARRAYS } from "./ml/npz-dataset.js";
import type { StorageBackend } from "./storage/types.js";
import { parseRoot } from "./storage/types.js";

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
 * so that its features can be parsed in place (ml/npz-file.ts).
 */
export async function readLocalFile(file: string, what: string): Promise<Uint8Array> {
  let handle: FileHandle | undefined;
  try {
    handle = await open(file, "r");
    return await readOpenFile(handle);
  } catch (error) {
    throw flaiError(`${what} file "${file}" cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}). Check the path.`);
  } finally {
    await handle?.close();
  }
}

async function readOpenFile(handle: FileHandle): Promise<Uint8Array> {
  const stats = await handle.stat();
  // A pipe, a device or a /proc file has no size to read up to: read it to its end (then copied out
  // of Node's buffer, which may be a slice of its pool).
  if (!stats.isFile() || stats.size === 0) return new Uint8Array(await handle.readFile());
  const head = await readFully(handle, new Uint8Array(Math.min(4, stats.size)));
  if (isZip(head)) return readNpzInPlace(handle, stats.size, DEFAULT_NPZ_ARRAYS.features);
  return readFully(handle, new Uint8Array(stats.size));
}
