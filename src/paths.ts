import path from "node:path";

/**
 * Every path hardhat-flai keeps under a project's `.flai/` folder, built here only, so the layout is
 * one list (and a rename one edit):
 *
 *   .flai/storage/                      the local storage backend's objects (default flai.storage.path)
 *   .flai/enclave/                      the simulated enclave's sealed state (default flai.enclave.path)
 *   .flai/results/job-<id>.json         flai:train's result file (beside it, the trained model)
 *   .flai/reports/fl-run-task-<id>-<UTC time>.html   flai:fl-run's report
 *   .flai/follow/                       sealed updates waiting to be recorded (fl-client --follow)
 *   .flai/devnet/<chain history>/       what flai:devnet keeps per chain history (devnet/state.ts)
 *   .flai/demo/trained_model-<id>.json  flai:demo's download of the trained model
 *
 * `root` is the project root (hre.config.paths.root, absolute), so every path built from it is absolute. The machine-wide folder (sealing secret, dev attestation key) is not the project's
 * and lives in tee/machine.ts.
 */
export const FLAI_DIR = ".flai";

/** A path under `.flai/`, relative to the project root: what the config's defaults are written as. */
export function flaiRelative(...parts: string[]): string {
  return path.join(FLAI_DIR, ...parts);
}

/** The default flai.storage.path and flai.enclave.path, relative to the project root. */
export const DEFAULT_STORAGE_DIR = flaiRelative("storage");
export const DEFAULT_ENCLAVE_DIR = flaiRelative("enclave");

export function flaiDir(root: string): string {
  return path.join(root, FLAI_DIR);
}

/** flai:train's result file for a job when --out is left out. */
export function jobResultFile(root: string, jobId: bigint | number | string): string {
  return path.join(flaiDir(root), "results", `job-${jobId}.json`);
}

/** flai:fl-run's report, without its extension (the task adds `.html`, and -2, -3… when taken). */
export function runReportBase(root: string, taskId: bigint | number | string, utcStamp: string): string {
  return path.join(flaiDir(root), "reports", `fl-run-task-${taskId}-${utcStamp}`);
}

/** Where a following client keeps sealed updates until they are recorded. */
export function followStateDir(root: string): string {
  return path.join(flaiDir(root), "follow");
}

/** flai:devnet's folder for one chain history (devnet/state.ts explains the key). */
export function devnetDir(root: string, historyKey: string): string {
  return path.join(flaiDir(root), "devnet", historyKey);
}

/** flai:demo's download of a job's trained model. */
export function demoModelFile(root: string, jobId: bigint | number | string): string {
  return path.join(flaiDir(root), "demo", `trained_model-${jobId}.json`);
}
