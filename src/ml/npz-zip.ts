// The zip container of a NumPy .npz file (np.savez: stored entries; np.savez_compressed: deflated).
// Only what numpy and Python's zipfile write is read: one disk, stored or deflated entries, sizes
// from the central directory (numpy forces zip64 extras into every local header, so those are
// skipped, not trusted). Every offset and size is checked against the file before it is used, so a
// lying header cannot read out of bounds or make us allocate more than the entry can inflate to.
import { crc32, inflateRawSync } from "node:zlib";

import { flaiError } from "../errors.js";

const LOCAL_HEADER = 0x04034b50;
const CENTRAL_HEADER = 0x02014b50;
const END_OF_CENTRAL_DIRECTORY = 0x06054b50;
const EOCD_SIZE = 22;
const MAX_COMMENT = 0xffff;
const ZIP64_EXTRA = 0x0001;
const U32_MAX = 0xffffffff;
/** Deflate cannot expand data more than ~1032:1; a header claiming more is lying. */
const MAX_DEFLATE_RATIO = 1032;

const METHOD_NAMES: Record<number, string> = {
  1: "shrink",
  6: "implode",
  9: "deflate64",
  12: "bzip2",
  14: "LZMA",
  93: "zstd",
  95: "xz",
  99: "AES encryption",
};

/** One member of the archive, located but not yet read. */
export interface ZipEntry {
  name: string;
  method: number;
  crc: number;
  compressedSize: number;
  size: number;
  /** Offset of the entry's data (past its local header) in the archive. */
  dataOffset: number;
}

const SAVE_HINT = "Save it with np.savez(path, X=X, y=y) or np.savez_compressed(path, X=X, y=y).";

/** The archive's entries by name, from its central directory. */
export function readZipEntries(bytes: Uint8Array, source: string): Map<string, ZipEntry> {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const eocd = findEndOfCentralDirectory(view);
  if (eocd < 0) {
    throw flaiError(
      `${source} starts like a zip (.npz) file but has no zip directory at its end: it is truncated or not a zip. ${SAVE_HINT}`,
    );
  }
  const disk = view.getUint16(eocd + 4, true);
  const count = view.getUint16(eocd + 10, true);
  const directorySize = view.getUint32(eocd + 12, true);
  const directoryOffset = view.getUint32(eocd + 16, true);
  if (count === 0xffff || directorySize === U32_MAX || directoryOffset === U32_MAX) {
    throw flaiError(
      `${source} is a zip64 archive (over 4 GiB or 65535 entries), which is not supported. Split the data into smaller files.`,
    );
  }
  if (disk !== 0 || view.getUint16(eocd + 6, true) !== 0 || view.getUint16(eocd + 8, true) !== count) {
    throw flaiError(`${source} is a multi-part (split) zip archive, which is not supported. ${SAVE_HINT}`);
  }
  if (directoryOffset + directorySize > eocd) {
    throw flaiError(
      `${source}: its zip directory (offset ${directoryOffset}, ${directorySize} bytes) lies outside the file; the file is truncated or corrupt.`,
    );
  }
  const entries = new Map<string, ZipEntry>();
  let at = directoryOffset;
  for (let k = 0; k < count; k++) {
    const entry = readCentralEntry(view, bytes, at, { directoryOffset, directoryEnd: directoryOffset + directorySize }, source);
    if (entries.has(entry.name)) {
      throw flaiError(`${source} holds ${JSON.stringify(entry.name)} twice; an .npz names each array once. ${SAVE_HINT}`);
    }
    entries.set(entry.name, entry);
    at = entry.next;
  }
  return entries;
}

/**
 * The entry's bytes: a view into `bytes` when stored, one buffer of exactly `size` bytes when
 * deflated (inflated in a single chunk, no concatenation). The CRC-32 is checked either way.
 */
export function readZipEntry(bytes: Uint8Array, entry: ZipEntry, source: string): Uint8Array {
  const where = `${source}: ${entry.name}`;
  const raw = bytes.subarray(entry.dataOffset, entry.dataOffset + entry.compressedSize);
  let data: Uint8Array;
  if (entry.method === 0) {
    if (entry.compressedSize !== entry.size) {
      throw flaiError(
        `${where} is stored uncompressed but its zip header gives two sizes (${entry.compressedSize} and ${entry.size}); the file is corrupt.`,
      );
    }
    data = raw;
  } else {
    if (entry.size > entry.compressedSize * MAX_DEFLATE_RATIO + 1024) {
      throw flaiError(
        `${where}: its zip header claims ${entry.size} bytes from ${entry.compressedSize} compressed bytes, more than deflate can produce; the file is corrupt.`,
      );
    }
    data = inflateEntry(raw, entry.size, where);
  }
  if (crc32(data) >>> 0 !== entry.crc) {
    throw flaiError(`${where} fails its CRC-32 check: the file is corrupt or was altered after numpy wrote it.`);
  }
  return data;
}

function inflateEntry(raw: Uint8Array, size: number, where: string): Uint8Array {
  let out: Uint8Array;
  try {
    // One chunk one byte larger than the entry: zlib writes straight into it and stops there.
    out = inflateRawSync(raw, { chunkSize: Math.max(64, size + 1), maxOutputLength: Math.max(1, size) });
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    throw flaiError(`${where} cannot be inflated (${why}): the file is truncated or corrupt.`, error);
  }
  if (out.length !== size) {
    throw flaiError(`${where} inflates to ${out.length} bytes, but its zip header says ${size}; the file is truncated or corrupt.`);
  }
  return out;
}

function findEndOfCentralDirectory(view: DataView): number {
  const last = view.byteLength - EOCD_SIZE;
  const stop = Math.max(0, last - MAX_COMMENT);
  for (let at = last; at >= stop; at--) {
    if (view.getUint32(at, true) === END_OF_CENTRAL_DIRECTORY && at + EOCD_SIZE + view.getUint16(at + 20, true) === view.byteLength)
      return at;
  }
  return -1;
}

/** Entry data must end before the directory starts; directory entries must end within it. */
interface DirectoryBounds {
  directoryOffset: number;
  directoryEnd: number;
}

function readCentralEntry(
  view: DataView,
  bytes: Uint8Array,
  at: number,
  bounds: DirectoryBounds,
  source: string,
): ZipEntry & { next: number } {
  const { directoryOffset: end, directoryEnd } = bounds;
  const corrupt = (what: string) => flaiError(`${source}: ${what}; the zip file is truncated or corrupt. ${SAVE_HINT}`);
  if (at + 46 > directoryEnd || view.getUint32(at, true) !== CENTRAL_HEADER) throw corrupt(`no zip directory entry at offset ${at}`);
  const flags = view.getUint16(at + 8, true);
  const method = view.getUint16(at + 10, true);
  const nameLength = view.getUint16(at + 28, true);
  const extraLength = view.getUint16(at + 30, true);
  const next = at + 46 + nameLength + extraLength + view.getUint16(at + 32, true);
  if (next > directoryEnd) throw corrupt(`the zip directory entry at offset ${at} runs past the directory`);
  const name = new TextDecoder().decode(bytes.subarray(at + 46, at + 46 + nameLength));
  if ((flags & 0x41) !== 0) {
    throw flaiError(`${source}: ${name} is encrypted. Save the arrays without a password: np.savez(path, X=X, y=y).`);
  }
  if (method !== 0 && method !== 8) {
    const kind = METHOD_NAMES[method] ?? `method ${method}`;
    throw flaiError(
      `${source}: ${name} is compressed with ${kind}, which is not supported (only stored and deflate, as numpy writes). ${SAVE_HINT}`,
    );
  }
  const sizes = zip64Sizes(view, at + 46 + nameLength, extraLength, {
    size: view.getUint32(at + 24, true),
    compressedSize: view.getUint32(at + 20, true),
    localOffset: view.getUint32(at + 42, true),
  });
  if (sizes === null) throw corrupt(`${name}'s zip64 sizes are missing or exceed the file`);
  const { size, compressedSize, localOffset } = sizes;
  if (localOffset + 30 > end || view.getUint32(localOffset, true) !== LOCAL_HEADER)
    throw corrupt(`${name} has no local header at offset ${localOffset}`);
  const dataOffset = localOffset + 30 + view.getUint16(localOffset + 26, true) + view.getUint16(localOffset + 28, true);
  if (dataOffset + compressedSize > end) {
    throw corrupt(`${name} claims ${compressedSize} bytes at offset ${dataOffset}, past the end of its data (${end})`);
  }
  return { name, method, crc: view.getUint32(at + 16, true), compressedSize, size, dataOffset, next };
}

interface EntrySizes {
  size: number;
  compressedSize: number;
  localOffset: number;
}

/** Sizes with any 0xFFFFFFFF field replaced from the zip64 extra field (in its fixed order); null if absent or unsafe. */
function zip64Sizes(view: DataView, extra: number, length: number, sizes: EntrySizes): EntrySizes | null {
  const wanted = (["size", "compressedSize", "localOffset"] as const).filter((key) => sizes[key] === U32_MAX);
  if (wanted.length === 0) return sizes;
  for (let at = extra; at + 4 <= extra + length;) {
    const id = view.getUint16(at, true);
    const fieldLength = view.getUint16(at + 2, true);
    if (id === ZIP64_EXTRA && fieldLength >= wanted.length * 8 && at + 4 + fieldLength <= extra + length) {
      const out = { ...sizes };
      for (const [k, key] of wanted.entries()) {
        const value = view.getBigUint64(at + 4 + k * 8, true);
        if (value > BigInt(view.byteLength)) return null;
        out[key] = Number(value);
      }
      return out;
    }
    at += 4 + fieldLength;
  }
  return null;
}
