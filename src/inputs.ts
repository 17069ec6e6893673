import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";

import { flaiError } from "./errors.js";
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

export async function readLocalFile(file: string, what: string): Promise<Uint8Array> {
  try {
    return new Uint8Array(await readFile(file));
  } catch (error) {
    throw flaiError(`${what} file "${file}" cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}). Check the path.`);
  }
}
