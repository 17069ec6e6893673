import type { UploadTask } from "#0g-storage-sdk";

import { CHUNK_SIZE, SEGMENT_CHUNKS } from "./merkle.js";

/**
 * Storage SDK 1.2.8's Uploader.splitTasks builds one task list per shard node, then interleaves them
 * only up to the length of the SHORTEST list: when a file's segments split unevenly across shards
 * (e.g. 17 segments on two shards: 9 and 8), the longer list's tail is never uploaded and the upload
 * waits for finality forever. The Go client keeps every task. This puts the dropped ones back: each
 * node's tasks continue in its own stride until the file's last segment.
 */
export function withDroppedTasks(tasks: readonly UploadTask[], file: { startEntryIndex: number; size: number }): UploadTask[] {
  const chunks = Math.ceil(file.size / CHUNK_SIZE);
  const firstSegment = Math.floor(file.startEntryIndex / SEGMENT_CHUNKS);
  const lastLocal = Math.floor((file.startEntryIndex + chunks - 1) / SEGMENT_CHUNKS) - firstSegment;
  const out = [...tasks];
  const lastOfClient = new Map<number, UploadTask>();
  for (const task of tasks) {
    const seen = lastOfClient.get(task.clientIndex);
    if (seen === undefined || task.segIndex > seen.segIndex) lastOfClient.set(task.clientIndex, task);
  }
  for (const last of lastOfClient.values()) {
    const stride = last.numShard * last.taskSize;
    for (let segIndex = last.segIndex + stride; segIndex <= lastLocal; segIndex += stride) {
      out.push({ ...last, segIndex });
    }
  }
  return out;
}
