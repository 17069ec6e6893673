// A profiling preload for bench/e2e/memory.ts (MEMORY_PROFILE=./bench/e2e/_rss-timeline.mjs): a worker
// thread samples the process's RSS every 2 ms (the main thread may compute for seconds without
// yielding, so it could not sample itself) and, at exit, the timeline's steps of 8 MiB or more go to
// stderr as "<ms since start> <MiB>", to be read against the command's own phases (its --json timings).
import { Worker } from "node:worker_threads";

const SLOTS = 200_000;
const samples = new Float64Array(new SharedArrayBuffer(8 * (2 * SLOTS + 1)));
const sampler = new Worker(
  `const { workerData } = require("node:worker_threads");
   const a = workerData, last = a.length - 1, t0 = performance.now();
   setInterval(() => { const i = a[last]; if (i + 2 <= last) { a[i] = performance.now() - t0; a[i + 1] = process.memoryUsage.rss(); a[last] = i + 2; } }, 2);`,
  { eval: true, workerData: samples },
);
sampler.unref();

process.on("exit", () => {
  const steps = [];
  let shown = 0;
  for (let i = 0; i < samples[samples.length - 1]; i += 2) {
    const mib = samples[i + 1] / 1048576;
    if (Math.abs(mib - shown) >= 8) {
      steps.push(`${samples[i].toFixed(0)}ms ${mib.toFixed(0)}`);
      shown = mib;
    }
  }
  process.stderr.write(`RSS timeline (MiB): ${steps.join(" | ")}\n`);
});
