import { randomBytes } from "node:crypto";
import { link, mkdir, readFile, rm, stat } from "node:fs/promises";
import os from "node:os";
import path from "node:path";

import { Indexer, StorageNode, ZgFile } from "#0g-storage-sdk";
import type { Signer } from "ethers";

import { flaiError, isFlaiError } from "../errors.js";
import { inAccountOrder } from "../util/account-queue.js";
import { legacyGasPrice } from "../chain/fee-data.js";
import { writeFileAtomic } from "../util/fs.js";
import { tempPathBeside, trackTempFile } from "../util/cleanup.js";
import { MAX_NODE_ANSWER_BYTES } from "../util/http-body.js";

import { EvmRpc, postJsonRpc } from "./evm-rpc.js";
import { checkedFileInfo, checkedLocations } from "./indexer-answers.js";
import { computeFileRoot, SEGMENT_SIZE } from "./merkle.js";
import { withRetries } from "./retry.js";
import { withDroppedTasks } from "./sdk-shard-tasks.js";
import { segmentRootsOf, withSegmentRoots, type SegmentRoots } from "./sdk-tree.js";
import { checkUploadSource } from "./upload-source.js";
import { checkClaimedSize, downloadSegments, nodeClient, type Holder } from "./zerog-download.js";
import { isValidShard, type ShardConfig } from "./shard.js";
import { withQuickPolling } from "./sdk-wait.js";
import { withSubmitHeadroom } from "./submit-gas.js";
import { explainFlowRevert, isIndexerFileNotFound } from "./zerog-protocol.js";
import { quietly, recentSdkLines, silence } from "../util/sdk-console.js";
import {
  parseRoot,
  type DownloadResult,
  type Root,
  type StorageBackend,
  type StorageProgress,
  type TransferOptions,
  type UploadResult,
} from "./types.js";

export interface ZeroGStorageOptions {
  indexerUrl: string;
  /** HTTP EVM RPC the SDK reads fees through; resolved only when an upload needs it. */
  evmRpc: () => Promise<string>;
  /** Who pays for uploads; resolved only when an upload needs it. */
  signer: () => Promise<Signer>;
  /** Longest the SDK may go without progress before the call is abandoned. */
  timeoutSeconds: number;
  retries: number;
  onProgress?: (progress: StorageProgress) => void;
}

/** Thrown from inside the SDK's own wait loops to end them once we have given up. */
class Abandoned extends Error {}

type FileInfo = NonNullable<Awaited<ReturnType<StorageNode["getFileInfo"]>>>;

/**
 * What the indexer says of a root: nobody knows it; it is known but not finalized on nodes that
 * together cover every shard (an upload under way or unfinished); or stored, with a holder's info.
 */
type Presence = { state: "unknown" } | { state: "incomplete" } | { state: "stored"; info: FileInfo; holder: string; holders: Holder[] };

/**
 * 0G Storage through the official SDK's uploader, and our own download (zerog-download.ts) over its
 * StorageNode client: the SDK's download can be neither aborted nor trusted (it verifies nothing and
 * believes any size). Every call runs under a stall timeout that restarts whenever data moves.
 */
export class ZeroGStorage implements StorageBackend {
  readonly kind = "0g";
  readonly #opts: ZeroGStorageOptions;
  readonly #indexer: Indexer;

  constructor(opts: ZeroGStorageOptions) {
    this.#opts = opts;
    this.#indexer = bounded(new Indexer(opts.indexerUrl), this.#attemptMs);
  }

  /**
   * How long one request to the indexer or the EVM RPC may take before it is aborted: all attempts
   * of one call (1 + retries) fit in the stall timeout. The SDK's own default is 30 s × 3 tries for
   * the indexer and 5 minutes for the RPC, so a silent server would otherwise hang a command.
   */
  get #attemptMs(): number {
    return Math.max(1000, Math.floor((this.#opts.timeoutSeconds * 1000) / (this.#opts.retries + 1)));
  }

  get indexerUrl(): string {
    return this.#opts.indexerUrl;
  }

  async upload(input: string | Uint8Array, opts: TransferOptions = {}): Promise<UploadResult> {
    if (typeof input !== "string") {
      const tmp = path.join(os.tmpdir(), `flai-upload-${randomBytes(6).toString("hex")}`);
      const forget = trackTempFile(tmp);
      try {
        await writeFileAtomic(tmp, input);
        return await this.upload(tmp, opts);
      } finally {
        await rm(tmp, { force: true });
        forget();
      }
    }
    await checkUploadSource(input);
    const report = this.#reporter(opts);
    // The party doing the upload pays (`payer`, e.g. a client's --account); else the network's first
    // account. Resolved before any request, so a missing key is reported before the network is touched.
    const signer = opts.payer ?? (await this.#opts.signer());
    const hashed = await hashForUpload(input);
    const { root } = hashed;
    const size = (await stat(input)).size;
    const presence = await this.#presence(root);
    const existing = presence.state === "stored" ? presence.info : undefined;
    if (existing?.finalized === true) {
      if (Number(existing.tx.size) !== size) {
        throw flaiError(
          `0G already stores ${root} with ${existing.tx.size} bytes, but ${input} has ${size} bytes (the root does not ` +
            `cover trailing zero padding). Strip the trailing zeros or append a non-zero byte.`,
        );
      }
      return { root, size, alreadyStored: true };
    }
    return inAccountOrder(await signer.getAddress(), () => this.#submitAndUpload(input, hashed, size, signer, report));
  }

  /** Submits the file (one transaction from `signer`) and uploads its segments. */
  async #submitAndUpload(
    input: string,
    hashed: SegmentRoots,
    size: number,
    signer: Signer,
    report: (p: StorageProgress) => void,
  ): Promise<UploadResult> {
    const { root } = hashed;
    const evmRpc = await this.#opts.evmRpc();
    const file = withSegmentRoots(await ZgFile.fromFilePath(input), hashed);
    try {
      const segmentsTotal = Math.ceil(size / SEGMENT_SIZE);
      let segmentsDone = 0;
      let resumed = false;
      // An oversized node answer, in our words: the SDK passes on only its message, wrapped in its own.
      let refused: Error | undefined;
      const result = await this.#guarded(`uploading ${input}`, report, async (watch, onAbandon, progressed) => {
        const uploader = await this.#newUploader(evmRpc, signer, watch, (error) => (refused ??= error));
        // Once abandoned, every node call fails, so the SDK's endless polling loop ends at its next step.
        onAbandon(() => refuseNodeCalls(uploader, input));
        withAllShardTasks(uploader);
        countAcceptedSegments(uploader, watch, (count) => {
          segmentsDone += count;
          progressed();
          report({ step: "uploading segments", segmentsDone, segmentsTotal });
        });
        // An earlier upload of this file that died after its transaction (node restarted, process
        // killed) left a paid submission some shard node has not finalized: finish that one instead
        // of paying again. The SDK then judges "already stored" by the first node alone, so it is
        // told not to: it skips each node that finalized and uploads to the others.
        resumed = await pendingSubmission(uploader.nodes, root, size);
        return uploader.splitableUpload(
          file,
          { onProgress: (step: string) => watch(step), finalityRequired: true, skipTx: resumed, skipIfFinalized: !resumed },
          { Retries: this.#opts.retries, Interval: 1, MaxGasPrice: 0 },
        );
      });
      const [info, err] = result;
      if (err !== null) {
        throw refused ?? (isFlaiError(err) ? err : this.#sdkError(`uploading ${input}`, err));
      }
      const txHash = info.txHashes[0] ?? "";
      if (info.rootHashes[0] !== undefined && info.rootHashes[0].toLowerCase() !== root) {
        throw flaiError(`The 0G SDK stored ${input} under ${info.rootHashes[0]}, but its 0G root is ${root}.`);
      }
      // No new transaction: either the file was finalized meanwhile (already stored), or an earlier
      // submission was resumed (its segments were written now, nothing was paid now).
      return { root, size, txHash: txHash === "" ? undefined : txHash, alreadyStored: txHash === "" && !resumed };
    } finally {
      await file.close();
    }
  }

  /**
   * The SDK's uploader for `signer`, with our fixes: a gas price 0G's mempool accepts, quick polling,
   * submission gas headroom, capped node answers (`onRefused` gets the first refusal) and a bounded
   * EVM RPC that reports its requests to `watch`.
   */
  async #newUploader(evmRpc: string, signer: Signer, watch: (step: string) => void, onRefused: (error: Error) => void): Promise<Uploader> {
    // The SDK prices its submission at eth_gasPrice, which on 0G tips below the mempool's minimum.
    const gasPrice = await legacyGasPrice(signer.provider);
    const [uploader, err] = await withRetries(
      // The SDK is typed against ethers' CommonJS build; the object is the same at run time.
      () => this.#indexer.newUploaderFromIndexerNodes(evmRpc, signer as never, 1, { gasPrice }),
      { retries: this.#opts.retries },
    );
    if (err !== null || uploader === null) {
      throw this.#sdkError("selecting a storage node", err);
    }
    withQuickPolling(uploader);
    withSubmitHeadroom(uploader);
    for (const node of uploader.nodes) withCappedAnswers(node, onRefused);
    // The SDK reads the storage price and gas price through its own JsonRpcProvider(evmRpc), which
    // retries a dead URL forever and never retries a reset or a 503: swap in a bounded one.
    uploader.provider = (await EvmRpc.connect(evmRpc, {
      attemptTimeoutMs: this.#attemptMs,
      retries: this.#opts.retries,
      onRequest: watch,
    })) as never;
    return uploader;
  }

  async download(rootText: string, dest: string, opts: TransferOptions = {}): Promise<DownloadResult> {
    const root = parseRoot(rootText, "root");
    const target = path.resolve(dest);
    if (await exists(target)) {
      throw flaiError(`Destination exists: ${target}; choose another path or delete it.`);
    }
    // Tracked: Ctrl-C or SIGTERM mid-download removes the partial file (issue 15: a hidden 1.1 GB was left).
    const tmp = tempPathBeside(target);
    await mkdir(path.dirname(target), { recursive: true });
    const forget = trackTempFile(tmp);
    try {
      await this.#fetchTo(root, tmp, this.#reporter(opts));
      const size = (await stat(tmp)).size;
      try {
        await link(tmp, target); // never replaces a file that appeared meanwhile
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === "EEXIST") {
          throw flaiError(`Destination exists: ${target}; choose another path or delete it.`);
        }
        throw error;
      }
      return { root, size, path: target };
    } finally {
      await rm(tmp, { force: true });
      forget();
    }
  }

  async read(rootText: string): Promise<Uint8Array> {
    const root = parseRoot(rootText, "root");
    const tmp = path.join(os.tmpdir(), `flai-read-${randomBytes(6).toString("hex")}`);
    const forget = trackTempFile(tmp);
    try {
      await this.#fetchTo(root, tmp, this.#reporter({}));
      return new Uint8Array(await readFile(tmp));
    } finally {
      await rm(tmp, { force: true });
      forget();
    }
  }

  async has(rootText: string): Promise<boolean> {
    const presence = await this.#presence(parseRoot(rootText, "root"));
    return presence.state === "stored" && presence.info.finalized;
  }

  /** Downloads into `tmp` (which must not exist) and proves the bytes are the root's. */
  async #fetchTo(root: Root, tmp: string, report: (p: StorageProgress) => void): Promise<void> {
    const presence = await this.#presence(root);
    if (presence.state === "unknown") {
      throw flaiError(
        `0G Storage has no file with root ${root} (asked the indexer ${this.#opts.indexerUrl}). ` +
          `Check the root, and that it was uploaded to this network.`,
        undefined,
        { code: "not-found" }, // src/verify/storage-fault.ts
      );
    }
    if (presence.state === "incomplete") {
      throw flaiError(
        `0G Storage knows ${root} but no set of storage nodes covering every shard has it finalized yet (asked the ` +
          `indexer ${this.#opts.indexerUrl}): its upload is unfinished or the nodes are still syncing. Upload the file ` +
          `again to finish it (it is not paid twice), or try later.`,
      );
    }
    const size = Number(presence.info.tx.size);
    await checkClaimedSize(root, size, presence.holder, tmp);
    await this.#guarded(`downloading ${root}`, report, (watch, onAbandon, progressed) => {
      watch("downloading segments");
      const stop = new AbortController();
      onAbandon(() => stop.abort());
      return downloadSegments({
        root,
        size,
        startEntryIndex: Number(presence.info.tx.startEntryIndex),
        holders: presence.holders,
        tmp,
        attemptMs: this.#attemptMs,
        retries: this.#opts.retries,
        signal: stop.signal,
        onSegment: (segmentsDone, segmentsTotal) => {
          progressed();
          report({ step: "downloading segments", segmentsDone, segmentsTotal });
        },
      });
    });
  }

  /** The indexer's view of `root`, with the info of the first node it names as holding it. */
  async #presence(root: Root): Promise<Presence> {
    const locations = await this.#call(`asking the indexer ${this.#opts.indexerUrl} where ${root} is`, () =>
      this.#indexer.getFileLocations(root).catch((error: unknown) => {
        // The indexer's answer for a root no node knows: a protocol answer, not a failure.
        if (isIndexerFileNotFound(error)) return undefined;
        throw error;
      }),
    );
    if (locations === undefined) return { state: "unknown" };
    const holders = checkedLocations(locations, this.#opts.indexerUrl).map(holderOf);
    for (const { url } of holders) {
      const info = checkedFileInfo(
        await this.#call(`asking storage node ${url} about ${root}`, () => nodeClient(url, this.#attemptMs).getFileInfo(root, true)),
        url,
      );
      if (info !== null) {
        return { state: "stored", info, holder: url, holders };
      }
    }
    return { state: "incomplete" };
  }

  async #call<T>(what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await quietly(() => withRetries(fn, { retries: this.#opts.retries }));
    } catch (error) {
      if (isFlaiError(error)) throw error; // already names the server (an oversized answer)
      throw flaiError(
        `0G Storage failed while ${what}: ${(error as Error).message}. ` +
          `Check that the URL is right and reachable (flai.storage.indexerUrl; for the local devnet, is \`npx hardhat flai:devnet\` running?).`,
        error,
      );
    }
  }

  /**
   * Runs an SDK call, silenced, abandoning it when for timeoutSeconds neither a new step is reported
   * nor data moved (`progressed`: a segment written or accepted), so a slow but steady transfer goes
   * on and a stuck one ends. Requests alone are not progress: the SDK polls forever when a node never
   * sees a transaction; its own progress callback is how we end that loop once abandoned.
   */
  async #guarded<T>(
    what: string,
    report: (p: StorageProgress) => void,
    work: (watch: (step: string) => void, onAbandon: (fn: () => void) => void, progressed: () => void) => Promise<T>,
  ): Promise<T> {
    let step = "starting";
    let abandoned = false;
    const cleanups: Array<() => void> = [];
    let timer: NodeJS.Timeout | undefined;
    let fail: (error: Error) => void = () => {};
    const stalled = new Promise<never>((_, reject) => (fail = reject));
    const arm = () => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        abandoned = true;
        cleanups.forEach((fn) => fn());
        fail(
          flaiError(
            `0G Storage made no progress for ${this.#opts.timeoutSeconds} s while ${what} (last step: "${step}"; ` +
              `indexer ${this.#opts.indexerUrl}). Check that the storage node is synced with the chain and that ` +
              `the transaction was mined; raise flai.storage.timeoutSeconds for slow networks.`,
          ),
        );
      }, this.#opts.timeoutSeconds * 1000);
    };
    const watch = (next: string) => {
      if (abandoned) {
        throw new Abandoned(what);
      }
      if (next !== step) {
        step = next;
        arm();
        report({ step });
      }
    };
    const progressed = () => {
      if (!abandoned) arm();
    };
    arm();
    // Released when we return, even if the abandoned SDK call is still unwinding.
    const release = silence();
    try {
      return await Promise.race([work(watch, (fn) => cleanups.push(fn), progressed), stalled]);
    } catch (error) {
      // Whatever the SDK throws (an axios or ethers error) reaches the user explained, never raw.
      throw isFlaiError(error) ? error : this.#sdkError(what, error as Error);
    } finally {
      clearTimeout(timer);
      release();
    }
  }

  #reporter(opts: TransferOptions): (p: StorageProgress) => void {
    return (p) => {
      this.#opts.onProgress?.(p);
      opts.onProgress?.(p);
    };
  }

  #sdkError(what: string, err: Error | null) {
    const detail = explainFlowRevert(err) ?? err?.message ?? "unknown error";
    const tail = recentSdkLines().join(" | ");
    return flaiError(
      `0G Storage failed while ${what} (indexer ${this.#opts.indexerUrl}): ${detail}${tail === "" ? "" : ` (SDK: ${tail})`}`,
      err ?? undefined,
    );
  }
}

/**
 * The SDK's JSON-RPC client (axios, 30 s timeout, 3 tries with a 1 s pause after each, even the last)
 * made one bounded attempt per request: retries are ours (withRetries), so they fit the stall timeout.
 */
function bounded<T extends { url: string; _transport: (data: never) => Promise<unknown> }>(client: T, timeoutMs: number): T {
  // Answers are capped at postJsonRpc's JSON-RPC limit: an indexer's node list is far smaller.
  client._transport = (data) => postJsonRpc(client.url, data, timeoutMs);
  return client;
}

/** A location the indexer gave, with its shard when that is a valid one (else every segment is asked of it). */
function holderOf(location: { url: string; config?: unknown }): Holder {
  const config = location.config as ShardConfig | undefined;
  const valid = typeof config === "object" && config !== null && isValidShard(config);
  return valid ? { url: location.url, config: { numShard: config.numShard, shardId: config.shardId } } : { url: location.url };
}

/**
 * The SDK's own node transport (axios: 3 tries, 1 s apart, 30 s each) with its answers read through
 * postJsonRpc, capped at MAX_NODE_ANSWER_BYTES: axios reads any length, so a node answering an upload
 * call endlessly filled memory. An oversized answer (a plugin error) is not tried again.
 */
function withCappedAnswers(node: StorageNode, onRefused: (error: Error) => void): void {
  const sdk = node as unknown as { url: string; timeout: number; retry: number; _transport: (data: unknown) => Promise<unknown> };
  sdk._transport = async (data) => {
    for (let left = sdk.retry; ; left--) {
      try {
        return await postJsonRpc(sdk.url, data, sdk.timeout, { maxBytes: MAX_NODE_ANSWER_BYTES });
      } catch (error) {
        if (isFlaiError(error)) onRefused(error);
        if (isFlaiError(error) || left <= 1) throw error;
      }
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  };
}

/**
 * Whether some node already knows a submission of `root` with this exact size (paid) that not every
 * node has finalized. A same-root submission of another size (the root ignores trailing zero
 * padding) is not reusable.
 */
async function pendingSubmission(nodes: readonly StorageNode[], root: Root, size: number): Promise<boolean> {
  const infos = await Promise.all(nodes.map((node) => node.getFileInfo(root, false).catch(() => null)));
  const known = infos.filter((info) => info !== null && Number(info.tx.size) === size);
  return known.length > 0 && infos.some((info) => info === null || !info.finalized);
}

/**
 * The file's segment roots and root, hashed once for both our presence check and the SDK's tree. A
 * missing or empty file is reported by computeFileRoot, in the words every backend uses.
 */
async function hashForUpload(input: string): Promise<SegmentRoots> {
  const size = await stat(input).then(
    (s) => s.size,
    () => 0,
  );
  if (size === 0) await computeFileRoot(input);
  return segmentRootsOf(input);
}

async function exists(file: string): Promise<boolean> {
  try {
    await stat(file);
    return true;
  } catch {
    return false;
  }
}

/** The SDK's uploader (its class is not exported by name). */
type Uploader = NonNullable<Awaited<ReturnType<Indexer["newUploaderFromIndexerNodes"]>>[0]>;

/** Makes every node call of an abandoned upload fail, which ends the SDK's polling at its next step. */
function refuseNodeCalls(uploader: Uploader, input: string): void {
  for (const node of uploader.nodes) {
    const refuse = () => Promise.reject(new Abandoned(input));
    node.getFileInfo = node.getFileInfoByTxSeq = refuse;
    node.getStatus = refuse;
  }
}

/** SDK 1.2.8 leaves out the tail of the longer shard's task list: put those segments back. */
function withAllShardTasks(uploader: Uploader): void {
  const splitTasks = uploader.splitTasks.bind(uploader);
  uploader.splitTasks = async (info, tree, options) => {
    const tasks = await splitTasks(info, tree, options);
    return tasks === null
      ? null
      : withDroppedTasks(tasks, { startEntryIndex: Number(info.tx.startEntryIndex), size: Number(info.tx.size) });
  };
}

/** Counts segments as the nodes accept them (`accepted` gets each batch's count), for a progress bar the SDK does not offer. */
function countAcceptedSegments(uploader: Uploader, watch: (step: string) => void, accepted: (count: number) => void): void {
  for (const node of uploader.nodes) {
    const send = node.uploadSegmentsByTxSeq.bind(node);
    node.uploadSegmentsByTxSeq = async (segs, txSeq) => {
      watch("uploading segments");
      const res = await send(segs, txSeq);
      accepted(segs.length);
      return res;
    };
  }
}
