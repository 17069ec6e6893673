// The process-wide registry of temp files (issue 15): every writer that puts bytes in a temp file
// before renaming it into place registers the temp path here, so an error, a normal exit, Ctrl-C
// (SIGINT) or SIGTERM never leaves a hidden half-written file behind. What a killed process (SIGKILL,
// power loss) still leaves is swept by sweepStaleTemps on the next start of the folder's owner.
import { randomBytes } from "node:crypto";
import { rmSync } from "node:fs";
import { readdir, rm, stat } from "node:fs/promises";
import path from "node:path";

const tracked = new Set<string>();
const SIGNALS = ["SIGINT", "SIGTERM"] as const;
let installed = false;

// The temp name carries the writer's pid, so a sweep can tell a live writer's file from a dead one's.
const TEMP_NAME = /^\..+\.(\d+)-[0-9a-f]{12}\.tmp$/;
// Before session 5 the temp name had no pid (`.name.<12 hex>.tmp`), so whether its writer still runs
// cannot be told; such a file is swept only once it is older than the age limit.
const OLD_TEMP_NAME = /^\..+\.[0-9a-f]{12}\.tmp$/;

/** A fresh temp path in the same folder as `file` (same filesystem, so rename is atomic). */
export function tempPathBeside(file: string): string {
  const name = `.${path.basename(file)}.${process.pid}-${randomBytes(6).toString("hex")}.tmp`;
  return path.join(path.dirname(file), name);
}

/**
 * Registers `tmp` for removal on exit or on SIGINT/SIGTERM; the returned function forgets it again
 * (call it once the file was renamed into place or removed).
 */
export function trackTempFile(tmp: string): () => void {
  installHandlers();
  tracked.add(tmp);
  return () => {
    tracked.delete(tmp);
  };
}

/**
 * Runs `write(tmp)` with a tracked temp path beside `dest`; the temp file is removed afterwards
 * whatever happened (after a successful rename it no longer exists, and rm with force is a no-op).
 */
export async function withTempFile<T>(dest: string, write: (tmp: string) => Promise<T>): Promise<T> {
  const tmp = tempPathBeside(dest);
  const forget = trackTempFile(tmp);
  try {
    return await write(tmp);
  } finally {
    await rm(tmp, { force: true });
    forget();
  }
}

/** Paths currently registered (for tests). */
export function trackedTempFiles(): string[] {
  return [...tracked];
}

/** Removes every registered temp file now, synchronously (signal and exit handlers cannot await). */
export function removeTrackedTempFiles(): void {
  for (const tmp of tracked) {
    try {
      rmSync(tmp, { force: true });
    } catch {
      // Best effort: a file we cannot remove now is swept on the next start.
    }
  }
  tracked.clear();
}

function installHandlers(): void {
  if (installed) return;
  installed = true;
  process.on("exit", removeTrackedTempFiles);
  for (const signal of SIGNALS) process.on(signal, onSignal);
}

function onSignal(signal: NodeJS.Signals): void {
  removeTrackedTempFiles();
  // Listening for a signal disables Node's default "exit on signal"; when nobody else handles it,
  // re-raise it without our listener so the process ends as it would have (exit code 128 + n).
  process.removeListener(signal, onSignal);
  if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
}

/**
 * Removes temp files in `dir` that no live writer owns: those whose pid is not a running process,
 * and any older than `maxAgeMs` (a pid can be reused), including old-format names without a pid.
 * Returns the names removed. A missing folder has nothing to sweep. Call it only on the tool's own
 * folders: a user's folder may hold files that merely look like ours.
 */
export async function sweepStaleTemps(dir: string, maxAgeMs = 60 * 60 * 1000): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names) {
    const file = path.join(dir, name);
    if (tracked.has(file) || !(await isStale(name, file, maxAgeMs))) continue;
    await rm(file, { force: true }).catch(() => undefined);
    removed.push(name);
  }
  return removed;
}

/** Whether `name` is one of our temp names whose writer is gone (dead pid) or that is too old to be live. */
async function isStale(name: string, file: string, maxAgeMs: number): Promise<boolean> {
  const match = TEMP_NAME.exec(name);
  if (match !== null) return !isAlive(Number(match[1])) || (await olderThan(file, maxAgeMs));
  return OLD_TEMP_NAME.test(name) && (await olderThan(file, maxAgeMs));
}

/** Whether a process with this pid runs now (ours counts; EPERM means it runs as another user). */
export function isAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

async function olderThan(file: string, maxAgeMs: number): Promise<boolean> {
  try {
    return Date.now() - (await stat(file)).mtimeMs > maxAgeMs;
  } catch {
    return false;
  }
}
