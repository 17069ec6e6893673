import type { Uploader } from "#0g-storage-sdk";

/** First pause between two polls of the nodes; each next one is longer, up to the SDK's own 1 s. */
export const FIRST_POLL_MS = 25;
export const LONGEST_POLL_MS = 1000;

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * SDK 1.2.8's Uploader.waitForLogEntry sleeps a fixed 1 s before every poll and offers no interval
 * option, so every upload pays ≥ 2 s (once for the node to see the transaction, once for finality)
 * even when the node is ready within 200 ms. This gives the uploader the same loop (same node calls,
 * same order, same progress messages) that polls at once and then backs off from 25 ms to 1 s, so
 * a slow network is polled no more often than the SDK polls it. Like the SDK's, it has no timeout of
 * its own: the caller's stall watchdog ends it (its progress callback throws, node calls refuse).
 */
export function withQuickPolling(uploader: Uploader): Uploader {
  uploader.waitForLogEntry = async (root, finalityRequired, txSeq, useTxSeq, onProgress) => {
    for (let waitMs = FIRST_POLL_MS; ; waitMs = Math.min(LONGEST_POLL_MS, waitMs * 2)) {
      const info = await pollOnce(uploader, { root, finalityRequired, txSeq, useTxSeq, onProgress });
      if (info !== undefined) return info;
      await pause(waitMs);
    }
  };
  return uploader;
}

type FileInfo = Awaited<ReturnType<Uploader["waitForLogEntry"]>>;

/** One round over the nodes, as one iteration of the SDK's loop: the info once every node has it, else undefined. */
async function pollOnce(
  uploader: Uploader,
  ask: { root: string; finalityRequired: boolean; txSeq: number; useTxSeq: boolean; onProgress?: (message: string) => void },
): Promise<FileInfo | undefined> {
  let info: FileInfo = null;
  for (const node of uploader.nodes) {
    info = ask.useTxSeq ? await node.getFileInfoByTxSeq(ask.txSeq) : await node.getFileInfo(ask.root, true);
    if (info === null) {
      const status = await node.getStatus();
      ask.onProgress?.(
        status === null ? "Waiting for storage node to sync..." : `Waiting for storage node to sync (height=${status.logSyncHeight})...`,
      );
      return undefined;
    }
    if (ask.finalityRequired && !info.finalized) {
      ask.onProgress?.("Waiting for finality confirmation...");
      return undefined;
    }
  }
  return info;
}
