import { flaiErrorCode } from "../errors.js";

/**
 * Why a storage read failed, as far as a verifier's verdict depends on it. Storage backends attach
 * the code to the error they throw (flaiError(message, cause, { code })); the message is for people
 * and may be reworded without changing any verdict.
 */
export const STORAGE_READ_FAULTS = [
  /** Bytes were found under the root but have another root: damaged or tampered (a mismatch). */
  "root-mismatch",
  /** No object with the root is stored (the evidence is gone: cannot check). */
  "not-found",
] as const;
export type StorageReadFault = (typeof STORAGE_READ_FAULTS)[number];

const FAULTS: ReadonlySet<string> = new Set(STORAGE_READ_FAULTS);

/** The storage fault code of an error, or of the error it wraps (`cause`), if it carries one. */
export function storageFaultOf(error: unknown): StorageReadFault | undefined {
  for (let e: unknown = error, depth = 0; e !== undefined && e !== null && depth < 8; e = (e as { cause?: unknown }).cause, depth++) {
    const code = flaiErrorCode(e);
    if (code !== undefined && FAULTS.has(code)) return code as StorageReadFault;
  }
  return undefined;
}
