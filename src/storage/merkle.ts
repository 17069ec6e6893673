import { open, type FileHandle } from "node:fs/promises";
import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";

import { bytesToHex } from "@noble/hashes/utils.js";

import { flaiError, isFlaiError } from "../errors.js";
import {
  BLOCK_SEGMENTS,
  HASH_SIZE,
  SEGMENT_SIZE,
  SegmentHasher,
  blockBytes,
  blockRange,
  bytesRoot,
  ceilDiv,
  currentHashInto,
  fastHashInto,
  foldRoots,
  segmentCount,
  type SegmentJob,
  type SegmentReply,
} from "./merkle-segments.js";

/**
 * The 0G storage Merkle root, bit-for-bit as `@0gfoundation/0g-ts-sdk@1.2.8` computes it
 * (AbstractFile.merkleTree): the file is zero-padded to the flow's padded size, every segment of
 * that padded stream gets its own chunk tree, and the file root is the same kind of tree over the
 * segment roots. The root is the file's identity on 0G, so any divergence here breaks uploads.
 *
 * Speed (bench/merkle.ts): keccak runs in WebAssembly (hash-wasm); a large file is hashed by this
 * thread together with worker threads, each taking the next 2 MiB block of segments until none is
 * left; this thread folds the segment roots.
 */

export { CHUNK_SIZE, SEGMENT_CHUNKS, SEGMENT_SIZE, paddedChunkCount, paddedSize } from "./merkle-segments.js";

/** From this size on, computeFileRoot also hashes in worker threads by default. */
export const PARALLEL_MIN_SIZE = 16 * 1024 * 1024;
const MAX_WORKERS = 3;

export interface FileRootOptions {
  /**
   * Worker threads hashing alongside this thread. Default: one less than the available CPUs (at
   * most 3) for files of PARALLEL_MIN_SIZE bytes or more, else none. The root does not depend on it.
   */
  workers?: number;
}

function hexRoot(root: Uint8Array): `0x${string}` {
  return `0x${bytesToHex(root)}`;
}

/**
 * Resolves once computeRoot hashes with WebAssembly keccak (or it is known to be unavailable). A
 * fresh worker thread that roots large inputs awaits this first: until then computeRoot falls back
 * to the ~5× slower pure-JS keccak.
 */
export async function fastRootsReady(): Promise<void> {
  await fastHashInto();
}

/** The 0G storage root of `bytes`. */
export function computeRoot(bytes: Uint8Array): `0x${string}` {
  if (bytes.length === 0) {
    throw flaiError(
      "Cannot compute a 0G storage root of empty data (0 bytes): 0G storage has no identity for empty files. " + "Store at least one byte.",
    );
  }
  return hexRoot(bytesRoot(currentHashInto(), bytes));
}

/** The 0G storage root of the file at `path`, read a block of segments at a time. */
export async function computeFileRoot(path: string, options: FileRootOptions = {}): Promise<`0x${string}`> {
  return (await fileRoot(path, options)).root;
}

/**
 * computeFileRoot, also telling how many of the file's blocks worker threads hashed. For tests:
 * `callerTakesBlocks: false` leaves every block to the workers (the calling thread then only hashes
 * blocks they failed to). @internal
 */
export async function fileRoot(
  path: string,
  options: FileRootOptions = {},
  { callerTakesBlocks = true }: { callerTakesBlocks?: boolean } = {},
): Promise<{ root: `0x${string}`; blocks: number; workerBlocks: number }> {
  const handle = await openToHash(path);
  let workers: ReturnType<typeof startWorkers> | undefined;
  try {
    const { size } = await handle.stat();
    if (size === 0) {
      throw flaiError(
        `Cannot compute the 0G storage root of ${path}: the file is empty, and 0G storage has no identity for ` +
          "empty files. Store a file with at least one byte.",
      );
    }
    const segments = segmentCount(size);
    const blocks = ceilDiv(segments, BLOCK_SEGMENTS);
    const roots = new Uint8Array(segments * HASH_SIZE);
    const done = new Uint8Array(blocks);
    let doneCount = 0;
    let workerBlocks = 0;
    const claims = new Int32Array(new SharedArrayBuffer(4));

    const wanted = options.workers ?? (size >= PARALLEL_MIN_SIZE ? Math.min(MAX_WORKERS, availableParallelism() - 1) : 0);
    const count = workersUnavailable ? 0 : Math.max(0, Math.min(wanted, blocks - 1));
    if (count > 0) {
      workers = startWorkers(count, { flaiMerkleSegments: 1, path, size, claims }, (block, blockRoots) => {
        if (done[block] === 1) return;
        roots.set(blockRoots, blockRange(block, segments).first * HASH_SIZE);
        done[block] = 1;
        doneCount++;
        workerBlocks++;
      });
    }

    const hash = await fastHashInto();
    const hasher = new SegmentHasher(hash, size);
    const buffer = new Uint8Array(BLOCK_SEGMENTS * SEGMENT_SIZE);
    let ownBlocks = 0;
    const started = performance.now();
    const hashBlock = async (block: number) => {
      const { first, count: n } = blockRange(block, segments);
      const { start, length } = blockBytes(block, segments, size);
      for (let got = 0; got < length;) {
        const { bytesRead } = await handle.read(buffer, got, length - got, start + got);
        if (bytesRead === 0) throw shrank(path, size);
        got += bytesRead;
      }
      if (done[block] === 1) return; // a worker's late answer got here first
      hasher.roots(first, n, buffer.subarray(0, length), roots, first * HASH_SIZE);
      done[block] = 1;
      doneCount++;
      ownBlocks++;
    };
    // This thread takes blocks like the workers do, so it never idles while they start up.
    if (callerTakesBlocks || workers === undefined) {
      for (let block = Atomics.add(claims, 0, 1); block < blocks; block = Atomics.add(claims, 0, 1)) await hashBlock(block);
    }
    if (workers !== undefined) {
      // Give the workers about two blocks' time (as this thread measured them) to finish theirs;
      // past that (a worker starved of CPU, or failed), this thread hashes what is left itself.
      const perBlock = ownBlocks > 0 ? (performance.now() - started) / ownBlocks : 50;
      await workers.until(() => doneCount === blocks, callerTakesBlocks ? 2 * perBlock : Infinity);
    }
    // Blocks no worker finished in time (or ever: it failed, e.g. the file shrank): hash them here,
    // which also reports a read error properly.
    for (let block = 0; block < blocks; block++) if (done[block] !== 1) await hashBlock(block);
    workers?.stop();
    return { root: hexRoot(foldRoots(hash, roots)), blocks, workerBlocks };
  } catch (error) {
    throw isFlaiError(error) ? error : unreadable(path, error);
  } finally {
    workers?.stop();
    await handle.close();
  }
}

/** The file opened for reading, or an error naming it. */
async function openToHash(path: string): Promise<FileHandle> {
  try {
    return await open(path, "r");
  } catch (error) {
    throw unreadable(path, error);
  }
}

/**
 * Set once a worker failed before answering anything (e.g. an older Node that cannot run the .ts
 * entry of a source checkout): from then on this process hashes in its own thread only.
 */
let workersUnavailable = false;

/** The worker entry: the .ts source under a TypeScript loader (tests, tsx), the compiled .js otherwise. */
const WORKER_ENTRY = new URL(import.meta.url.endsWith(".ts") ? "./merkle-segments.ts" : "./merkle-segments.js", import.meta.url);

/**
 * Starts `count` workers on `job`; `onRoots` gets each block's segment roots. A worker that cannot
 * start (e.g. a Node that cannot run the entry) or stops early just does fewer blocks.
 */
function startWorkers(count: number, job: SegmentJob, onRoots: (block: number, roots: Uint8Array) => void) {
  const live = new Set<Worker>();
  let wake: (() => void) | undefined;
  const poke = () => wake?.();
  for (let i = 0; i < count; i++) {
    let worker: Worker;
    try {
      // No inherited loader flags: the entry runs as plain JavaScript (or type-stripped .ts).
      worker = new Worker(WORKER_ENTRY, { workerData: job, execArgv: [] });
    } catch {
      workersUnavailable = true;
      break;
    }
    live.add(worker);
    let answered = false;
    worker.on("message", (reply: SegmentReply) => {
      answered = true;
      if ("block" in reply) onRoots(reply.block, reply.roots);
      poke();
    });
    // "exit" follows; the blocks it claimed and did not finish are hashed by the calling thread.
    worker.on("error", () => {
      if (!answered) workersUnavailable = true;
    });
    worker.once("exit", () => {
      live.delete(worker);
      poke();
    });
  }
  return {
    /** Resolves once `finished()` holds, no worker is left running, or after `timeoutMs`. */
    async until(finished: () => boolean, timeoutMs: number): Promise<void> {
      let timedOut = false;
      const timer = Number.isFinite(timeoutMs)
        ? setTimeout(() => {
            timedOut = true;
            poke();
          }, timeoutMs)
        : undefined;
      try {
        while (!finished() && live.size > 0 && !timedOut) await new Promise<void>((resolve) => (wake = resolve));
      } finally {
        clearTimeout(timer);
        wake = undefined;
      }
    },
    stop(): void {
      for (const worker of live) void worker.terminate();
      live.clear();
    },
  };
}

function shrank(path: string, size: number) {
  return flaiError(
    `${path} shrank while its 0G storage root was being computed (expected ${size} bytes). ` +
      "Wait until nothing writes to the file, then try again.",
  );
}

function unreadable(path: string, error: unknown) {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  const reason =
    code === "ENOENT"
      ? "the file does not exist"
      : code === "EISDIR"
        ? "it is a directory, not a file"
        : code === "EACCES" || code === "EPERM"
          ? "permission denied"
          : `${(error as Error | undefined)?.message ?? String(error)}`;
  return flaiError(`Cannot read ${path}: ${reason}. Check the path and that the file is readable.`, error);
}
