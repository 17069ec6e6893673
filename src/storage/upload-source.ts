// What an upload may read (issue 15): `flai:upload /dev/zero` used 12 GB of memory and a FIFO hung,
// because hashing and copying open whatever path they are given. An upload's source is checked first
// the way local inputs are (src/inputs.ts): opened without blocking, and refused by what it is unless
// it is a regular file of at most the size a download of it could be read back at.
import { constants } from "node:fs";
import { open, type FileHandle } from "node:fs/promises";

import { flaiError, isFlaiError } from "../errors.js";
import { fileKind, MAX_LOCAL_FILE_BYTES } from "../util/local-file.js";
import { sizeText } from "../util/http-body.js";

/** Refuses an upload source that is not a regular file of at most MAX_LOCAL_FILE_BYTES; returns its size. */
export async function checkUploadSource(file: string): Promise<number> {
  let handle: FileHandle | undefined;
  try {
    handle = await open(file, constants.O_RDONLY | constants.O_NONBLOCK);
    const stats = await handle.stat();
    if (!stats.isFile()) {
      throw flaiError(`Upload input "${file}" is ${fileKind(stats)}, not a regular file. Give the path of the file itself.`);
    }
    if (stats.size > MAX_LOCAL_FILE_BYTES) {
      throw flaiError(
        `Upload input "${file}" is ${stats.size} bytes, over the ${sizeText(MAX_LOCAL_FILE_BYTES)} a file may be here (the ` +
          "limit on local inputs and on downloads, so it could not be used once stored). Split it, or check the path.",
      );
    }
    return stats.size;
  } catch (error) {
    if (isFlaiError(error)) throw error;
    throw cannotOpen(file, error);
  } finally {
    await handle?.close();
  }
}

function cannotOpen(file: string, error: unknown) {
  const code = (error as NodeJS.ErrnoException).code;
  const reason =
    code === "ENOENT"
      ? "the file does not exist"
      : code === "EISDIR"
        ? "it is a directory, not a regular file"
        : code === "EACCES" || code === "EPERM"
          ? "permission denied"
          : (code ?? (error as Error).message);
  return flaiError(`Cannot read upload input ${file}: ${reason}. Check the path and that the file is readable.`, error);
}
