// One flai:deploy at a time per chain in a project (issue 15): two at once both found no Ignition
// record, both sent the deployment from the same account, and the second died on "nonce too low"
// with a stack trace. The lock is a file created atomically (O_EXCL) beside Ignition's journals,
// holding the owner's pid; a second deployer waits for it, then finds the first one's deployment.
import { closeSync, openSync, rmSync, writeSync } from "node:fs";
import { mkdir, readFile, rm } from "node:fs/promises";
import path from "node:path";

import { flaiError } from "../errors.js";
import { isAlive, trackTempFile } from "../util/cleanup.js";

export interface DeployLockOptions {
  /** How long to wait for another deployer before giving up (default 10 minutes: a public chain's deployment takes minutes). */
  waitMs?: number;
  pollMs?: number;
  /** Called once when the lock is held by another live process, before waiting for it. */
  onWait?: (holder: LockHolder) => void;
}

export interface LockHolder {
  pid: number;
  network: string;
  since: string;
}

// Locks this process holds: taking one again (flai:deploy holds it, and the deployment lookup it
// calls takes it before deploying through Ignition) nests instead of waiting for itself.
const held = new Map<string, number>();

export function deployLockPath(ignitionRoot: string, chainId: bigint): string {
  return path.join(ignitionRoot, "deployments", `.flai-deploy-chain-${chainId}.lock`);
}

/**
 * Takes the deploy lock for `chainId` in this project, waiting while another live process holds it;
 * a lock left by a dead process is taken over. Returns the release function. The lock file is
 * registered with util/cleanup, so an error, Ctrl-C or SIGTERM removes it with the process.
 */
export async function acquireDeployLock(
  ignitionRoot: string,
  chainId: bigint,
  network: string,
  opts: DeployLockOptions = {},
): Promise<() => Promise<void>> {
  const { waitMs = 10 * 60_000, pollMs = 250 } = opts;
  const file = deployLockPath(ignitionRoot, chainId);
  await mkdir(path.dirname(file), { recursive: true }).catch((error: unknown) => {
    throw flaiError(
      `Cannot create ${path.dirname(file)} for the deploy lock (${(error as NodeJS.ErrnoException).code}): the project folder must be writable.`,
      error,
    );
  });
  const nested = held.get(file);
  if (nested !== undefined) {
    held.set(file, nested + 1);
    return async () => void unhold(file);
  }
  const until = Date.now() + waitMs;
  let told = false;
  for (;;) {
    if (tryCreate(file, network)) return release(file);
    const holder = await readHolder(file);
    if (holder === undefined) continue; // released between our attempt and the read: try again at once
    if (holder === "unreadable" || !isAlive(holder.pid)) {
      // Its owner is gone (killed before it could remove the lock), or it was never written whole.
      await takeOver(file);
      continue;
    }
    if (Date.now() >= until) throw busy(holder, chainId, file);
    if (!told) opts.onWait?.(holder);
    told = true;
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
}

/**
 * Creates the lock with O_EXCL; false when it exists. Synchronous on purpose: a signal is handled
 * only between event-loop turns, so the file is registered for removal before any signal can land.
 */
function tryCreate(file: string, network: string): boolean {
  let fd: number;
  try {
    fd = openSync(file, "wx");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw flaiError(
      `Cannot create the deploy lock ${file} (${(error as NodeJS.ErrnoException).code}): the project folder must be writable.`,
      error,
    );
  }
  const forget = trackTempFile(file);
  try {
    writeSync(fd, JSON.stringify({ pid: process.pid, network, since: new Date().toISOString() }));
  } catch (error) {
    rmSync(file, { force: true });
    forget();
    throw flaiError(`Cannot write the deploy lock ${file} (${(error as NodeJS.ErrnoException).code}).`, error);
  } finally {
    closeSync(fd);
  }
  return true;
}

/** The lock's owner; undefined when the file is gone; "unreadable" when it is not a lock we wrote. */
async function readHolder(file: string): Promise<LockHolder | "unreadable" | undefined> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "ENOENT" ? undefined : "unreadable";
  }
  try {
    const value = JSON.parse(text) as Partial<LockHolder>;
    if (Number.isSafeInteger(value.pid) && value.pid! > 0)
      return { pid: value.pid!, network: String(value.network), since: String(value.since) };
  } catch {
    // fall through
  }
  // A lock file is written right after it is created, so an empty one may be a live owner's that is
  // still writing: only one that stays unreadable for a moment is treated as abandoned.
  await new Promise((resolve) => setTimeout(resolve, 100));
  return (await readFile(file, "utf8").catch(() => "")) === text ? "unreadable" : undefined;
}

async function takeOver(file: string): Promise<void> {
  try {
    await rm(file, { force: true });
  } catch (error) {
    throw flaiError(
      `${file} is in the way of the deploy lock and cannot be removed (${(error as NodeJS.ErrnoException).code}); remove it by hand.`,
      error,
    );
  }
}

function release(file: string): () => Promise<void> {
  const forget = trackTempFile(file);
  held.set(file, 1);
  return async () => {
    if (!unhold(file)) return;
    await rm(file, { force: true });
    forget();
  };
}

/** Drops one hold; true when it was the last (the file is then to be removed). */
function unhold(file: string): boolean {
  const count = held.get(file) ?? 0;
  if (count > 1) {
    held.set(file, count - 1);
    return false;
  }
  held.delete(file);
  return true;
}

function busy(holder: LockHolder, chainId: bigint, file: string) {
  return flaiError(
    `Another flai:deploy (pid ${holder.pid}) has been deploying to network "${holder.network}" (chain ${chainId}) since ${holder.since}; ` +
      `wait for it to finish, then run flai:deploy again (it finds that deployment). If no such process runs any more, remove ${file}.`,
  );
}
