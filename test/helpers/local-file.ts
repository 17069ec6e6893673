// Bytes written to a file and read back as the commands read a local --data/--test file
// (src/inputs.ts readLocalFile: an .npz is read in place), for tests that compare that path with
// parsing the same bytes as given.
import { rm, writeFile } from "node:fs/promises";
import path from "node:path";

import { readLocalFile } from "../../src/inputs.js";

import { tempDir } from "./project.js";

export interface LocalFiles {
  /** `bytes` written to a new file named `name`, then read with readLocalFile. */
  read(bytes: Uint8Array, name?: string): Promise<Uint8Array>;
  /** A new file holding `bytes`; its path. */
  write(bytes: Uint8Array | Uint8Array[], name?: string): Promise<string>;
  /** Removes every file written. */
  remove(): Promise<void>;
}

export async function localFiles(): Promise<LocalFiles> {
  const dir = await tempDir("flai-local-file-");
  let count = 0;
  const write = async (bytes: Uint8Array | Uint8Array[], name = "data.npz") => {
    const file = path.join(dir, `${count++}-${name}`);
    await writeFile(file, Array.isArray(bytes) ? Buffer.concat(bytes) : bytes);
    return file;
  };
  return {
    write,
    read: async (bytes, name) => readLocalFile(await write(bytes, name), "--data"),
    remove: () => rm(dir, { recursive: true, force: true }),
  };
}
