// A dataset as the .npz file `np.savez(path, X=X, y=y)` writes (stored zip entries, .npy v1 arrays:
// X float64 rows × features in C order, y int64), for benches that must not need Python.
import { crc32 } from "node:zlib";

import type { Dataset } from "../src/ml/dataset.js";

/** A .npy v1 file's bytes: header padded with spaces to a multiple of 64 bytes, then the raw values. */
export function npyParts(descr: string, shape: number[], data: Uint8Array): Buffer[] {
  const dict = `{'descr': '${descr}', 'fortran_order': False, 'shape': (${shape.join(", ")}${shape.length === 1 ? "," : ""}), }`;
  const headerLength = Math.ceil((10 + dict.length + 1) / 64) * 64 - 10;
  const head = Buffer.alloc(10 + headerLength, 0x20);
  head.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
  head.writeUInt16LE(headerLength, 8);
  head.write(dict, 10, "latin1");
  head[10 + headerLength - 1] = 0x0a;
  return [head, Buffer.from(data.buffer, data.byteOffset, data.byteLength)];
}

/** The .npz bytes of `ds` as parts (X.npy then y.npy, stored), to be written one after the other. */
export function npzParts(ds: Dataset): Buffer[] {
  const labels = new BigInt64Array(ds.rows);
  for (let r = 0; r < ds.rows; r++) labels[r] = BigInt(ds.classes[ds.labels[r]!] as number);
  return storedZipParts([
    {
      name: "X.npy",
      parts: npyParts("<f8", [ds.rows, ds.cols], new Uint8Array(ds.features.buffer, ds.features.byteOffset, ds.features.byteLength)),
    },
    { name: "y.npy", parts: npyParts("<i8", [ds.rows], new Uint8Array(labels.buffer)) },
  ]);
}

/** A zip of `members` in this order, each stored (uncompressed), as Python's zipfile writes it. */
export function storedZipParts(members: { name: string; parts: Buffer[] }[]): Buffer[] {
  const out: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  for (const m of members) {
    const size = m.parts.reduce((n, p) => n + p.length, 0);
    const crc = m.parts.reduce((c, p) => crc32(p, c), 0);
    const name = Buffer.from(m.name, "latin1");
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(0x21, 12); // 1980-01-01
    local.writeUInt32LE(crc >>> 0, 14);
    local.writeUInt32LE(size, 18);
    local.writeUInt32LE(size, 22);
    local.writeUInt16LE(name.length, 26);
    const entry = Buffer.alloc(46);
    entry.writeUInt32LE(0x02014b50, 0);
    entry.writeUInt16LE(20, 4);
    entry.writeUInt16LE(20, 6);
    entry.writeUInt16LE(0x21, 14);
    entry.writeUInt32LE(crc >>> 0, 16);
    entry.writeUInt32LE(size, 20);
    entry.writeUInt32LE(size, 24);
    entry.writeUInt16LE(name.length, 28);
    entry.writeUInt32LE(offset, 42);
    central.push(entry, name);
    out.push(local, name, ...m.parts);
    offset += local.length + name.length + size;
  }
  const directorySize = central.reduce((n, p) => n + p.length, 0);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(members.length, 8);
  end.writeUInt16LE(members.length, 10);
  end.writeUInt32LE(directorySize, 12);
  end.writeUInt32LE(offset, 16);
  return [...out, ...central, end];
}
