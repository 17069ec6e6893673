// The shapes the 0G indexer and storage nodes must answer in (issue 15): the SDK passes their JSON
// through unchecked, so a server answering a number, null or a string where an object or a list is
// expected surfaced as a TypeError stack trace. These checks turn it into an error naming the server.
import { flaiError } from "../errors.js";
import { excerpt } from "../util/excerpt.js";

function shown(value: unknown): string {
  return excerpt(JSON.stringify(value) ?? String(value));
}

/** The indexer's `indexer_getFileLocations` answer: a list of nodes, each with a URL. */
export function checkedLocations(value: unknown, indexerUrl: string): { url: string }[] {
  const ok =
    Array.isArray(value) &&
    value.every((node) => typeof node === "object" && node !== null && typeof (node as { url?: unknown }).url === "string");
  if (ok) return value as { url: string }[];
  throw flaiError(
    `The indexer ${indexerUrl} answered indexer_getFileLocations with ${shown(value)}, not a list of storage nodes ` +
      "with URLs. Check that flai.storage.indexerUrl points at a 0G storage indexer (for the local devnet, the " +
      "indexer URL `npx hardhat flai:devnet` prints).",
  );
}

/** A storage node's `zgs_getFileInfo` answer: null (not held) or an object with `finalized` and `tx.size`. */
export function checkedFileInfo<T>(value: T, nodeUrl: string): T {
  if (value === null) return value;
  const info = value as { finalized?: unknown; tx?: { size?: unknown } | null };
  const ok =
    typeof value === "object" &&
    !Array.isArray(value) &&
    typeof info.finalized === "boolean" &&
    typeof info.tx === "object" &&
    info.tx !== null &&
    ["number", "string", "bigint"].includes(typeof info.tx.size);
  if (ok) return value;
  throw flaiError(
    `Storage node ${nodeUrl} answered zgs_getFileInfo with ${shown(value)}, not file info (an object with ` +
      "finalized and tx.size, or null). The node is not a 0G storage node or is faulty; check the indexer's node list.",
  );
}
