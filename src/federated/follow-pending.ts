import { rm, stat } from "node:fs/promises";
import path from "node:path";

import { flaiError } from "../errors.js";
import { readLocalFile } from "../inputs.js";
import { parseJsonText } from "../ml/dataset.js";
import { writeFileAtomic } from "../util/fs.js";
import { sha256Hex } from "../util/sha256.js";

/** Which update a pending file holds: one per (chain, contract, task, round, client). */
export interface PendingKey {
  chainId: bigint;
  contract: string;
  taskId: bigint;
  round: number;
  client: string;
}

/** A sealed update kept from before its upload until the chain has recorded it. */
export interface PendingUpdate {
  ciphertext: Uint8Array;
  numExamples: number;
  updateHash: string;
}

const FORMAT = "flai-pending-update/v1";

/**
 * A client follower's write-ahead record of its sealed update. Sealing is randomized, so a restart
 * that sealed again would upload (and pay for) new bytes; instead the bytes written here before the
 * upload are uploaded again — storage already holds them, so nothing is paid twice — and recorded.
 * The file goes once the chain shows the update, or the round closed without it.
 */
export class PendingUpdates {
  readonly #dir: string;

  constructor(dir: string) {
    this.#dir = dir;
  }

  fileOf(key: PendingKey): string {
    return path.join(
      this.#dir,
      `chain-${key.chainId}`,
      key.contract.toLowerCase(),
      `task-${key.taskId}`,
      `round-${key.round}-${key.client.toLowerCase()}.json`,
    );
  }

  async save(key: PendingKey, update: PendingUpdate): Promise<void> {
    const record = {
      format: FORMAT,
      chainId: key.chainId.toString(),
      contract: key.contract.toLowerCase(),
      taskId: key.taskId.toString(),
      round: key.round,
      client: key.client.toLowerCase(),
      numExamples: update.numExamples,
      updateHash: update.updateHash,
      ciphertext: Buffer.from(update.ciphertext).toString("base64"),
    };
    await writeFileAtomic(this.fileOf(key), JSON.stringify(record) + "\n", { mode: 0o600 });
  }

  /** The update kept for `key`, or undefined when none; a file that is not what this class wrote is an error naming it. */
  async load(key: PendingKey): Promise<PendingUpdate | undefined> {
    const file = this.fileOf(key);
    try {
      await stat(file);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      throw error;
    }
    // The shared reader refuses a folder, device or oversized file by what it is.
    let text: string;
    try {
      text = Buffer.from(await readLocalFile(file, "Kept update")).toString("utf8");
    } catch (error) {
      throw unusable(file, key, (error as Error).message);
    }
    return parseRecord(text, key, file);
  }

  async remove(key: PendingKey): Promise<void> {
    await rm(this.fileOf(key), { force: true });
  }

  /** Once a task is over no kept update can be recorded any more: drops the task's folder. */
  async removeTask(key: Omit<PendingKey, "round" | "client">): Promise<void> {
    await rm(path.dirname(this.fileOf({ ...key, round: 0, client: "" })), { recursive: true, force: true });
  }
}

function unusable(file: string, key: PendingKey, why: string): Error {
  return flaiError(
    `The kept update ${file} is unusable (${why}). Delete it and start the follower again: it seals a new update for round ${key.round}.`,
  );
}

function parseRecord(text: string, key: PendingKey, file: string): PendingUpdate {
  const broken = (why: string) => unusable(file, key, why);
  let parsed: unknown;
  try {
    // parseJsonText also refuses duplicate keys and absurd nesting, naming the line.
    parsed = parseJsonText(text, "the file");
  } catch (error) {
    throw broken((error as Error).message);
  }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) throw broken("it is not a JSON object");
  const record = parsed as Record<string, unknown>;
  const same =
    record.format === FORMAT &&
    record.chainId === key.chainId.toString() &&
    record.contract === key.contract.toLowerCase() &&
    record.taskId === key.taskId.toString() &&
    record.round === key.round &&
    record.client === key.client.toLowerCase();
  if (!same) throw broken("it is not this client's update for this round");
  if (typeof record.ciphertext !== "string" || typeof record.numExamples !== "number" || typeof record.updateHash !== "string") {
    throw broken("fields missing");
  }
  const ciphertext = new Uint8Array(Buffer.from(record.ciphertext, "base64"));
  // The hash guards against a truncated or edited file: the chain would record a hash the bytes do not have.
  if (sha256Hex(ciphertext) !== record.updateHash) throw broken("its bytes do not match its hash");
  return { ciphertext, numExamples: record.numExamples, updateHash: record.updateHash };
}
