import type { Signer } from "ethers";

import { flaiError } from "../errors.js";

/** A 0G storage root (the file's identity): "0x" + 64 lowercase hex characters. */
export type Root = `0x${string}`;

export interface UploadResult {
  root: Root;
  size: number;
  txHash?: string;
  /** True when the backend already held this root, so nothing was written or paid for. */
  alreadyStored: boolean;
}

export interface DownloadResult {
  root: Root;
  size: number;
  path: string;
}

/** What a long storage call reports as it goes (segments for 0G uploads). */
export interface StorageProgress {
  step: string;
  segmentsDone?: number;
  segmentsTotal?: number;
}

export interface TransferOptions {
  onProgress?: (progress: StorageProgress) => void;
  /** Who pays for an upload (0G storage): the acting party's account. Default: the network's first account. */
  payer?: Signer;
}

export interface ReadOptions {
  /** False: do not re-root the bytes here (default true). */
  verify?: boolean;
}

export interface StorageBackend {
  readonly kind: string;
  /** `input` is a file path or the bytes themselves. */
  upload(input: string | Uint8Array, opts?: TransferOptions): Promise<UploadResult>;
  /** Writes the object to `dest` only after checking its root; never overwrites `dest`. */
  download(root: string, dest: string, opts?: TransferOptions): Promise<DownloadResult>;
  /**
   * The object's bytes, checked against `root` unless `verify: false` (a backend that cannot skip its
   * check, like 0G's, ignores it). Skip it only for bytes the enclave verifies itself.
   */
  read(root: string, opts?: ReadOptions): Promise<Uint8Array>;
  has(root: string): Promise<boolean>;
}

const ROOT_PATTERN = /^0x[0-9a-f]{64}$/i;

/** Validates a root coming from a user, a file or a chain, and returns it in lowercase. */
export function parseRoot(value: string, what: string): Root {
  const trimmed = typeof value === "string" ? value.trim() : "";
  if (ROOT_PATTERN.test(trimmed)) return trimmed.toLowerCase() as Root;
  const shown = typeof value === "string" ? JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}…` : value) : String(value);
  throw flaiError(
    `Invalid ${what}: ${shown} is not a 0G storage root. A root is "0x" followed by 64 hex characters ` +
      "(32 bytes), as printed when a file is uploaded. Check that the value was copied whole.",
  );
}
