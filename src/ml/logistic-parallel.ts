// Row sums for logistic regression, split over a FIXED number of row partitions and optionally
// computed with the help of worker threads.
//
// Determinism: the partitioning depends only on the data's shape (never on the machine), each
// partition's sums are computed by the same kernel source (logistic-kernel.ts) into that
// partition's own slot, and the slots are combined in partition order on the calling thread. So
// which thread computed which partition — or whether any worker ran at all — cannot change a bit
// of the result: 1 thread and N threads give identical sums.
//
// Scheduling: the calling thread claims partitions from the front, the workers from the back, off
// one shared word. A worker that is still booting simply claims nothing yet, and one that never
// starts only costs speed. The calling thread blocks in Atomics.wait while workers finish, which
// keeps training synchronous. Workers can only read shared memory: data that is not already in a
// SharedArrayBuffer is copied there, but only the back partitions workers may claim (copying costs
// more than a whole gradient pass here, mostly in page faults).
//
// The workers form one lazily started, process-wide pool (unref'd: it never keeps the process
// alive), because booting a worker costs tens of milliseconds — as much as a whole training run
// on 100k×50 data. A RowSums hands its shared arrays to the pool with its first task and takes
// them back on close(), so an idle pool holds no data.
import { availableParallelism } from "node:os";
import { MessageChannel, type MessagePort, Worker } from "node:worker_threads";

import type { Dataset } from "./dataset.js";
import type { Standardization } from "./logistic.js";
import { accumulateRows, KERNEL_BLOCK_ROWS } from "./logistic-kernel.js";
import { accumulateSoftmaxRows } from "./softmax-kernel.js";

/** Above this many matrix entries (rows × cols), the row sums are split into PARTITIONS parts. */
export const PARTITION_MIN_ENTRIES = 2_000_000;
/** The fixed number of row partitions for large data (not the CPU count: results must not depend on the machine). */
export const PARTITIONS = 8;
/**
 * What the partitions' sums may take together (each partition keeps its own ≈ (cols + 2) float64
 * sums): wide data gets fewer partitions, down to MIN_WIDE_PARTITIONS. At 1e6 features 8 partitions
 * held 64 MB of sums — a third of a client's data — for no speed: two threads need two partitions.
 */
export const PARTITION_SUMS_BYTES = 16 * 1024 * 1024;
/** The fewest partitions of partitioned data: one for each of defaultThreads()' at most 2 threads. */
export const MIN_WIDE_PARTITIONS = 2;

/**
 * 1 for small data (the plain single pass, bit-identical to the original loop); above the threshold
 * PARTITIONS, or fewer for wide data so that partitions × (cols + 2) × 8 bytes ≤ PARTITION_SUMS_BYTES
 * (never fewer than MIN_WIDE_PARTITIONS). A function of the shape alone — never of the thread count
 * or the machine — so every process gets the same partitions, hence the same bits.
 */
export function partitionCount(rows: number, cols: number): number {
  if (rows * cols <= PARTITION_MIN_ENTRIES || rows < PARTITIONS) return 1;
  const fit = Math.floor(PARTITION_SUMS_BYTES / (8 * (cols + 2)));
  return Math.max(MIN_WIDE_PARTITIONS, Math.min(PARTITIONS, fit));
}

/** Threads (the calling one included) used when the data is partitioned: 2 when the machine has 2+ CPUs. */
export function defaultThreads(): number {
  return Math.min(2, availableParallelism());
}

export function isShared(a: Float64Array | Uint8Array): boolean {
  return a.buffer instanceof SharedArrayBuffer;
}

/** `values` as a Float64Array in shared memory. */
function sharedFrom(values: ArrayLike<number>): Float64Array {
  const out = new Float64Array(new SharedArrayBuffer(8 * values.length));
  for (let j = 0; j < values.length; j++) out[j] = values[j]!;
  return out;
}

/** A copy of `a` in shared memory, which worker threads can read without copying. */
export function sharedCopy<T extends Float64Array | Uint8Array>(a: T): T {
  const out = (
    a instanceof Float64Array ? new Float64Array(new SharedArrayBuffer(a.byteLength)) : new Uint8Array(new SharedArrayBuffer(a.byteLength))
  ) as T;
  out.set(a);
  return out;
}

// Pool control slots (Int32Array shared by the calling thread and every worker).
const WAKE = 0; // bumped to wake the workers; they sleep on it
const JOB = 1; // id of the job the workers should help with (0: none)
// Per-job control slots.
const CLAIM = 0; // (next front partition) | (end of the unclaimed range) << 16
const DONE = 1; // partitions finished in the current task
const CLAIMED = 2; // partitions ever computed by a worker (a statistic, for tests)

const WARM_UP_CALLS = 60;
const MAX_THREADED_PARTITIONS = 0x7fff;

/** What a worker needs for one RowSums; sent once per RowSums (SharedArrayBuffers are shared, not copied). */
interface JobMessage {
  id: number;
  helpers: number; // workers with index < helpers take part
  first: number; // workers claim partitions ≥ first only (x holds just those rows)
  x: Float64Array;
  y: Uint8Array;
  cols: number;
  /** 1: binary kernel (accumulateRows); K ≥ 3: softmax kernel (accumulateSoftmaxRows). */
  outputs: number;
  /** Values per partition in `out`. */
  stride: number;
  /** The kernels' `center` (standardized training), or null. */
  center: Float64Array | null;
  bounds: Int32Array;
  params: Float64Array;
  out: Float64Array;
  ctrl: Int32Array;
  failed: Int32Array;
}

function workerSource(): string {
  // The kernel is shipped as its own source text: the workers run exactly what the calling thread runs.
  return `"use strict";
const { workerData, receiveMessageOnPort } = require("node:worker_threads");
const accumulateRows = (${accumulateRows.toString()});
const accumulateSoftmaxRows = (${accumulateSoftmaxRows.toString()});
const { pool, port, index, block } = workerData;
const z = new Float64Array(block);
const p = new Float64Array(512);
let acc = new Float64Array(0);
{
  // Warm-up on throwaway data before claiming any partition: a cold kernel runs tens of times
  // slower until V8 optimizes it, and the calling thread would sit waiting for that partition.
  const cols = 16;
  const rows = 2 * block + 1;
  const dx = new Float64Array(new SharedArrayBuffer(8 * rows * cols));
  for (let i = 0; i < dx.length; i++) dx[i] = Math.cos(i);
  const dy = new Uint8Array(new SharedArrayBuffer(rows));
  for (let i = 0; i < rows; i++) dy[i] = i % 3 === 0 ? 1 : 0;
  const dp = new Float64Array(new SharedArrayBuffer(8 * (cols + 1))).fill(0.01);
  const dout = new Float64Array(new SharedArrayBuffer(8 * (cols + 2)));
  const da = new Float64Array(cols);
  const dc = new Float64Array(cols).fill(0.5);
  for (let k = 0; k < ${WARM_UP_CALLS}; k++) accumulateRows(dx, dy, cols, 0, rows, dp, dout, 0, z, da);
  for (let k = 0; k < ${WARM_UP_CALLS}; k++) accumulateRows(dx, dy, cols, 0, rows, dp, dout, 0, z, da, dc);
  const sp = new Float64Array(new SharedArrayBuffer(8 * 3 * (cols + 1))).fill(0.01);
  const sout = new Float64Array(new SharedArrayBuffer(8 * (1 + 3 * (cols + 1))));
  for (let k = 0; k < ${WARM_UP_CALLS}; k++) accumulateSoftmaxRows(dx, dy, cols, 3, 0, rows, sp, sout, 0, p);
  for (let k = 0; k < ${WARM_UP_CALLS}; k++) accumulateSoftmaxRows(dx, dy, cols, 3, 0, rows, sp, sout, 0, p, dc);
}
let job = null;
let seen = 0;
for (;;) {
  Atomics.wait(pool, ${WAKE}, seen);
  seen = Atomics.load(pool, ${WAKE});
  const want = Atomics.load(pool, ${JOB});
  if (job === null || job.id !== want) {
    for (let m = receiveMessageOnPort(port); m !== undefined; m = receiveMessageOnPort(port)) job = m.message;
    if (job !== null && job.cols > acc.length) acc = new Float64Array(job.cols);
  }
  if (job === null || job.id !== want || index >= job.helpers) continue;
  const { x, y, cols, outputs, stride, bounds, params, out, ctrl, failed, first, center } = job;
  for (;;) {
    const v = Atomics.load(ctrl, ${CLAIM});
    const k = (v >>> 16) - 1;
    if (k < (v & 0xffff) || k < first) break;
    if (Atomics.compareExchange(ctrl, ${CLAIM}, v, (v & 0xffff) | (k << 16)) !== v) continue;
    try {
      if (outputs === 1) accumulateRows(x, y, cols, bounds[k], bounds[k + 1], params, out, k * stride, z, acc, center);
      else accumulateSoftmaxRows(x, y, cols, outputs, bounds[k], bounds[k + 1], params, out, k * stride, p, center);
      Atomics.add(ctrl, ${CLAIMED}, 1);
    } catch {
      Atomics.store(failed, k, 1);
    }
    Atomics.add(ctrl, ${DONE}, 1);
    Atomics.notify(ctrl, ${DONE});
  }
}
`;
}

/** The process-wide worker pool; grows on demand, never shrinks. */
class Pool {
  readonly ctrl = new Int32Array(new SharedArrayBuffer(4 * 2));
  private readonly ports: MessagePort[] = [];
  private current = 0;

  get size(): number {
    return this.ports.length;
  }

  ensure(workers: number): void {
    while (this.ports.length < workers) {
      const { port1, port2 } = new MessageChannel();
      const worker = new Worker(workerSource(), {
        eval: true,
        workerData: { pool: this.ctrl, port: port2, index: this.ports.length, block: KERNEL_BLOCK_ROWS },
        transferList: [port2],
      });
      // A worker that fails to start claims no partition, so the calling thread does its share.
      worker.on("error", () => {});
      worker.unref();
      port1.unref();
      this.ports.push(port1);
    }
  }

  /** Points the workers at `job` (sending it if it is not the current one) and wakes them. */
  wake(job: JobMessage): void {
    if (this.current !== job.id) {
      for (const port of this.ports) port.postMessage(job);
      this.current = job.id;
      Atomics.store(this.ctrl, JOB, job.id);
    }
    Atomics.add(this.ctrl, WAKE, 1);
    Atomics.notify(this.ctrl, WAKE);
  }

  /** Makes the workers drop their references to job `id`'s arrays, if it is the current one. */
  release(id: number): void {
    if (this.current !== id) return;
    for (const port of this.ports) port.postMessage(null);
    this.current = 0;
    Atomics.store(this.ctrl, JOB, 0);
    Atomics.add(this.ctrl, WAKE, 1);
    Atomics.notify(this.ctrl, WAKE);
  }
}

let pool: Pool | null = null;
let nextJobId = 1;

// The workers' copy of data that is not in shared memory goes to a buffer kept from one RowSums to
// the next (one RowSums at a time holds it): a fresh buffer costs a page fault per 4 KiB written,
// ~70 ms for the 80 MB of a 200 × 1e5 client's rows here, more than two passes over them, and a
// reused one only the copy. Kept SCRATCH_IDLE_MS after its last use, so that an idle process (a
// client waiting for the next round) does not hold it.
const SCRATCH_IDLE_MS = 2000;
let scratch: SharedArrayBuffer | null = null;
let scratchTimer: ReturnType<typeof setTimeout> | null = null;

function leaseScratch(bytes: number): SharedArrayBuffer {
  const kept = scratch;
  if (kept === null || kept.byteLength < bytes) return new SharedArrayBuffer(bytes);
  scratch = null;
  return kept;
}

function returnScratch(buffer: SharedArrayBuffer): void {
  if (scratch !== null && scratch.byteLength >= buffer.byteLength) return;
  scratch = buffer;
  if (scratchTimer !== null) clearTimeout(scratchTimer);
  scratchTimer = setTimeout(() => {
    scratch = null;
    scratchTimer = null;
  }, SCRATCH_IDLE_MS);
  scratchTimer.unref();
}

/** Row k of the partitioning is [bounds[k], bounds[k + 1]). */
export function partitionBounds(rows: number, partitions: number): Int32Array {
  const p = Math.max(1, Math.min(partitions, rows));
  const bounds = new Int32Array(new SharedArrayBuffer(4 * (p + 1)));
  for (let k = 0; k <= p; k++) bounds[k] = Math.floor((k * rows) / p);
  return bounds;
}

/**
 * Σ logloss, Σ r·x_j and Σ r over all rows (see accumulateRows; accumulateSoftmaxRows when
 * `outputs` > 1), split over `partitions` row ranges and combined in order; `threads − 1` pool
 * workers help when threads > 1 (x and y are given to them in shared memory, partly copied if they
 * are not already). With `center`, x is read centered on it (the kernels' `center`). Call close()
 * when done with it (the workers then drop the data).
 *
 * The sums at the last params are kept: asked again at the very same point (bit for bit), the
 * pass is not repeated. Two objectives sharing one RowSums (a client's gradient at the global
 * model, then its training from there) pay for that point once.
 */
export class RowSums {
  readonly partitions: number;
  private readonly stride: number;
  private readonly bounds: Int32Array;
  private readonly out: Float64Array;
  /** Partition 0's slot of `out`: the other partitions' sums are added into it. */
  private readonly result: Float64Array;
  private readonly z = new Float64Array(KERNEL_BLOCK_ROWS);
  private readonly acc: Float64Array;
  private readonly p: Float64Array;
  private job: JobMessage | null = null;
  private claimedBeforeClose = 0;
  /** The leased buffer of the workers' copy of x, returned on close(). */
  private scratch: SharedArrayBuffer | null = null;
  /** The params `result` holds the sums for, while `holdsLast`. */
  private last: Float64Array | null = null;
  private holdsLast = false;
  /** Passes over the rows so far (a statistic, for tests). */
  passes = 0;

  constructor(
    private readonly x: Float64Array,
    private readonly y: Uint8Array,
    rows: number,
    private readonly cols: number,
    partitions: number,
    threads: number,
    private readonly outputs = 1,
    private readonly center: Float64Array | null = null,
  ) {
    this.bounds = partitionBounds(rows, partitions);
    const p = (this.partitions = this.bounds.length - 1);
    this.stride = outputs === 1 ? cols + 2 : 1 + outputs * (cols + 1);
    this.acc = new Float64Array(cols);
    this.p = new Float64Array(2 * outputs);
    // (The claim word packs two partition indices in 16 bits each, hence the cap for threading.)
    const helpers = p > MAX_THREADED_PARTITIONS ? 0 : Math.max(0, Math.min(threads, p) - 1);
    const shared = helpers > 0;
    const f64 = (n: number) => (shared ? new Float64Array(new SharedArrayBuffer(8 * n)) : new Float64Array(n));
    this.out = f64(p * this.stride);
    // A view, not its own array (one stride of float64 fewer: 8 MB at 1e6 features); the sums are the same bits.
    this.result = this.out.subarray(0, this.stride);
    if (!shared) return;
    pool ??= new Pool();
    try {
      pool.ensure(helpers);
    } catch {
      // No worker threads here (a restricted runtime, say): run on the calling thread alone.
    }
    if (pool.size === 0) return;
    const workers = Math.min(helpers, pool.size);
    // Workers claim from the back; with t threads the calling thread's fair share is the first
    // p/t partitions, so workers never need those rows.
    let first = 0;
    let xWorkers = x;
    if (!isShared(x)) {
      first = Math.floor(p / (workers + 1));
      const from = this.bounds[first]! * cols;
      // Untouched pages of the buffer cost no memory: only the copied rows are materialized.
      this.scratch = leaseScratch(x.byteLength);
      xWorkers = new Float64Array(this.scratch, 0, x.length);
      xWorkers.set(x.subarray(from), from);
    }
    this.job = {
      id: nextJobId++,
      helpers: workers,
      first,
      x: xWorkers,
      y: isShared(y) ? y : sharedCopy(y),
      cols,
      outputs,
      stride: this.stride,
      center: center === null || isShared(center) ? center : sharedCopy(center), // shared: not cloned per worker
      bounds: this.bounds,
      params: f64(outputs * (cols + 1)),
      out: this.out,
      ctrl: new Int32Array(new SharedArrayBuffer(4 * 3)),
      failed: new Int32Array(new SharedArrayBuffer(4 * p)),
    };
  }

  /** Whether worker threads take part (until close()). */
  get threaded(): boolean {
    return this.job !== null;
  }

  /** How many partitions worker threads have computed so far (the rest ran on the calling thread). */
  get workerPartitions(): number {
    return this.job === null ? this.claimedBeforeClose : Atomics.load(this.job.ctrl, CLAIMED);
  }

  /**
   * [Σ loss, Σ r·x_0, …, Σ r·x_{cols−1}, Σ r] at θ = params (binary; the softmax kernel's layout
   * when outputs > 1); the returned array is reused by the next call.
   */
  sums(params: Float64Array): Float64Array {
    if (this.holdsLast && sameBits(this.last!, params)) return this.result;
    this.holdsLast = false; // result is about to change; until it is whole, it answers for no params
    this.passes++;
    const { partitions, stride, out, job } = this;
    const threadedPass = job !== null && pool !== null;
    if (!threadedPass) {
      for (let k = 0; k < partitions; k++) this.partition(k, params);
    } else {
      const { ctrl, failed } = job!;
      const shared = job!.params;
      shared.set(params);
      // DONE before CLAIM: a worker claiming from the new range must not have its DONE wiped.
      Atomics.store(ctrl, DONE, 0);
      Atomics.store(ctrl, CLAIM, partitions << 16);
      pool!.wake(job!);
      for (;;) {
        const v = Atomics.load(ctrl, CLAIM);
        const k = v & 0xffff;
        if (k >= v >>> 16) break;
        if (Atomics.compareExchange(ctrl, CLAIM, v, (k + 1) | ((v >>> 16) << 16)) !== v) continue;
        this.partition(k, shared);
        Atomics.add(ctrl, DONE, 1);
      }
      for (;;) {
        const done = Atomics.load(ctrl, DONE);
        if (done >= partitions) break;
        Atomics.wait(ctrl, DONE, done);
      }
      for (let k = 0; k < partitions; k++) {
        if (Atomics.load(failed, k) === 0) continue;
        Atomics.store(failed, k, 0);
        this.partition(k, shared);
      }
    }
    // Fixed order: partition 0's sums (result is its slot), then each later partition's added in turn.
    const result = this.result;
    for (let k = 1; k < partitions; k++) {
      const at = k * stride;
      for (let t = 0; t < stride; t++) result[t]! += out[at + t]!;
    }
    if (threadedPass) {
      this.last = job!.params; // already holds params (copied there for the workers): no second copy
    } else {
      if (this.last === null || this.last.length !== params.length) this.last = new Float64Array(params.length);
      this.last.set(params); // after close(), possibly into the released workers' params: no worker reads them
    }
    this.holdsLast = true;
    return result;
  }

  /** Partition k's sums into its slot of `out`, on this thread. */
  private partition(k: number, params: Float64Array): void {
    const { x, y, cols, outputs, bounds, out, stride } = this;
    const { center } = this;
    if (outputs === 1) accumulateRows(x, y, cols, bounds[k]!, bounds[k + 1]!, params, out, k * stride, this.z, this.acc, center);
    else accumulateSoftmaxRows(x, y, cols, outputs, bounds[k]!, bounds[k + 1]!, params, out, k * stride, this.p, center);
  }

  /** Releases the workers; later sums() run on the calling thread alone (same results). */
  close(): void {
    if (this.job === null) return;
    pool?.release(this.job.id);
    this.claimedBeforeClose = Atomics.load(this.job.ctrl, CLAIMED);
    this.job = null;
    // No worker reads it any more: sums() returned only once every partition was done.
    if (this.scratch !== null) returnScratch(this.scratch);
    this.scratch = null;
  }
}

/** Same length and the same bits in every entry (−0 ≠ +0: they can give different sums). */
function sameBits(a: Float64Array, b: Float64Array): boolean {
  if (a.length !== b.length) return false;
  for (let t = 0; t < a.length; t++) if (!Object.is(a[t], b[t])) return false;
  return true;
}

/**
 * A dataset as the objectives read it, prepared once: its row sums (over fixed partitions, on
 * worker threads when threads > 1; centered on the standardization's mean) and the scales the
 * objectives divide by. Two objectives on the same TrainingRows share the workers' copy of the
 * data and the sums at a point both evaluate. Call close() when done (the workers drop the data).
 */
export class TrainingRows {
  readonly rowSums: RowSums;
  /** The standardization's scales (weights and gradient are divided by them), or null. */
  readonly scale: Float64Array | null;

  constructor(
    readonly features: Float64Array,
    readonly labels: Uint8Array,
    readonly rows: number,
    readonly cols: number,
    readonly outputs: number,
    readonly standardization: Standardization | null,
    parallelism: { threads?: number; partitions?: number } = {},
  ) {
    // partitionCount over cols × outputs: softmaxPartitionCount's rule, the binary one for outputs = 1.
    const partitions = parallelism.partitions ?? partitionCount(rows, cols * outputs);
    const threads = parallelism.threads ?? 1;
    // In shared memory from the start when workers may read it (RowSums would copy it there).
    const center =
      standardization === null
        ? null
        : threads > 1 && partitions > 1
          ? sharedFrom(standardization.mean)
          : Float64Array.from(standardization.mean);
    this.scale = standardization === null ? null : Float64Array.from(standardization.scale);
    this.rowSums = new RowSums(features, labels, rows, cols, partitions, threads, outputs, center);
  }

  /** Whether these rows are `ds` read with `standardization` (same arrays, same values). */
  fits(ds: Dataset, standardization: Standardization | null, outputs: number): boolean {
    const mine = this.standardization;
    const sameScaling =
      mine === null || standardization === null
        ? mine === standardization
        : sameValues(mine.mean, standardization.mean) && sameValues(mine.scale, standardization.scale);
    return (
      ds.features === this.features &&
      ds.labels === this.labels &&
      ds.rows === this.rows &&
      ds.cols === this.cols &&
      outputs === this.outputs &&
      sameScaling
    );
  }

  close(): void {
    this.rowSums.close();
  }
}

function sameValues(a: ArrayLike<number>, b: ArrayLike<number>): boolean {
  if (a.length !== b.length) return false;
  for (let j = 0; j < a.length; j++) if (!Object.is(a[j], b[j])) return false;
  return true;
}

/**
 * `out` = params with each class's weights divided by the scales (biases as they are): the weights
 * of the centered data (x − m) that give the same scores as `params` on (x − m)/s.
 */
export function scaledWeights(params: Float64Array, scale: Float64Array, out: Float64Array, outputs: number): Float64Array {
  const cols = scale.length;
  for (let k = 0; k < outputs; k++) {
    const at = k * cols;
    for (let j = 0; j < cols; j++) out[at + j] = params[at + j]! / scale[j]!;
  }
  for (let t = outputs * cols; t < params.length; t++) out[t] = params[t]!;
  return out;
}
