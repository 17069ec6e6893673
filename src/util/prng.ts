import { createCipheriv } from "node:crypto";
import { writeFile } from "node:fs/promises";

// A tiny seedable generator whose output is identical on every platform and Node version (only
// 32-bit integer math), so the fixtures (scripts/make-fixtures.ts) and the tests' synthetic data
// are reproducible byte for byte. Not for anything that must be unpredictable: keyedUniform is.

/** mulberry32: a 32-bit seed gives a stream of uniform numbers in [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Uniform numbers in [0, 1) with 53 random bits each, from the AES-256-CTR keystream of a 32-byte
 * key: unpredictable without the key (unlike mulberry32's 2^32 seeds, which an observer can
 * brute-force), yet the same key always gives the same stream, so a keyed computation can be re-run.
 */
export function keyedUniform(key: Uint8Array): () => number {
  if (key.length !== 32) throw new RangeError(`keyedUniform needs a 32-byte key, got ${key.length} bytes`);
  const cipher = createCipheriv("aes-256-ctr", key, new Uint8Array(16));
  const zeros = new Uint8Array(1 << 16);
  let block = new DataView(new ArrayBuffer(0));
  let at = 0;
  return () => {
    if (at === block.byteLength) {
      const bytes = cipher.update(zeros);
      block = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      at = 0;
    }
    const hi = block.getUint32(at) >>> 5; // 27 bits
    const lo = block.getUint32(at + 4) >>> 6; // 26 bits
    at += 8;
    return (hi * 67108864 + lo) / 9007199254740992;
  };
}

/** Standard normal samples from `rand` (Box–Muller, cosine branch: two uniforms per sample). */
export function gaussian(rand: () => number): () => number {
  return () => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
}

/** `size` bytes from mulberry32(seed), a 32-bit word at a time (little-endian), so a seed always gives the same bytes. */
export function seededBytes(size: number, seed: number): Uint8Array {
  const rand = mulberry32(seed);
  const out = new Uint8Array(size);
  for (let i = 0; i < size; i += 4) {
    const word = Math.floor(rand() * 4294967296);
    for (let k = 0; k < 4 && i + k < size; k++) out[i + k] = (word >>> (8 * k)) & 0xff;
  }
  return out;
}

/** Writes `size` seeded bytes (see {@link seededBytes}) to `path` and returns them. */
export async function writeSeededFile(path: string, size: number, seed: number): Promise<Uint8Array> {
  const bytes = seededBytes(size, seed);
  await writeFile(path, bytes);
  return bytes;
}
