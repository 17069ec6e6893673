import type { Stats } from "node:fs";

/**
 * Largest local input file read (4 GiB): a dataset larger than this needs more memory than a
 * training machine is expected to have, and reading a wrong path (a disk image, a log) into memory
 * would only end in an out-of-memory crash. Checked from the file's size before anything is read.
 */
export const MAX_LOCAL_FILE_BYTES = 4 * 1024 ** 3;

/** What a path that is not a regular file is, for the error that refuses it. */
export function fileKind(stats: Stats): string {
  if (stats.isDirectory()) return "a directory";
  if (stats.isFIFO()) return "a named pipe (FIFO)";
  if (stats.isCharacterDevice()) return "a character device";
  if (stats.isBlockDevice()) return "a block device";
  if (stats.isSocket()) return "a socket";
  return "not a regular file";
}
