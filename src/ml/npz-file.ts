// A local .npz file read so that its features are parsed in place (issue 14: a client holds its data
// once, not as the file's bytes plus a parsed copy). The file is read into shared memory, placed so
// that the features array's values start 8-byte aligned: the parser can then view a stored float64 X
// where it lies instead of copying it out, and the training's worker threads read that same memory
// (it is shared, so it is not copied to them either). Anything else (X deflated, another dtype, a
// corrupt archive) is parsed from these bytes exactly as from any others: copied, or refused with
// the same error.
import type { FileHandle } from "node:fs/promises";

import { npyValuesOffset } from "./npy-array.js";
import { lendInPlace } from "./npz-dataset.js";
import { readZipEntries } from "./npz-zip.js";

/** fs reads at most 2 GiB at once. */
const READ_CHUNK = 1 << 30;

/**
 * The .npz file open as `handle` (`size` bytes, a regular file), in shared memory, with the values
 * of the `features` array (X) 8-byte aligned when it is stored uncompressed.
 */
export async function readNpzInPlace(handle: FileHandle, size: number, features: string): Promise<Uint8Array> {
  // 7 spare bytes: room to move the file up to X's alignment within the same memory.
  const buffer = new SharedArrayBuffer(size + 7);
  const read = await readFully(handle, new Uint8Array(buffer, 0, size));
  const at = valuesOffset(read, features);
  const pad = at === undefined ? 0 : (8 - (at % 8)) % 8;
  // One memmove of the file within its own buffer: cheaper than copying X out, and no second X.
  if (pad > 0) new Uint8Array(buffer).copyWithin(pad, 0, read.length);
  const bytes = new Uint8Array(buffer, pad, read.length);
  lendInPlace(bytes);
  return bytes;
}

/** Reads the file from its start into `target`; a file that shrank meanwhile gives what it holds. */
export async function readFully(handle: FileHandle, target: Uint8Array): Promise<Uint8Array> {
  let done = 0;
  while (done < target.length) {
    const { bytesRead } = await handle.read(target, done, Math.min(target.length - done, READ_CHUNK), done);
    if (bytesRead === 0) break;
    done += bytesRead;
  }
  return target.subarray(0, done);
}

/**
 * Offset in `bytes` of the stored `<features>.npy` array's values; undefined when the archive has no
 * such stored entry or cannot be read (the parser then reports why, with the file's name).
 */
function valuesOffset(bytes: Uint8Array, features: string): number | undefined {
  let entry;
  try {
    entry = readZipEntries(bytes, "the .npz file").get(`${features}.npy`);
  } catch {
    return undefined;
  }
  if (entry === undefined || entry.method !== 0) return undefined;
  const values = npyValuesOffset(bytes.subarray(entry.dataOffset, entry.dataOffset + entry.compressedSize));
  return values === undefined ? undefined : entry.dataOffset + values;
}
