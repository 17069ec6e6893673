import { Interface, getBytes, keccak256, concat } from "ethers";
import type { EIP1193Provider } from "hardhat/types/providers";

/**
 * Follows the Flow's Submit logs like the node's log_entry_sync: each submission becomes a tx the
 * node accepts segments for.
 */

export const SUBMIT_EVENT =
  "event Submit(address indexed sender, bytes32 indexed identity, uint256 submissionIndex, uint256 startPos, " +
  "uint256 length, (uint256 length, bytes tags, (bytes32 root, uint256 height)[] nodes) submission)";

const flowEvents = new Interface([SUBMIT_EVENT]);
const SUBMIT_TOPIC = flowEvents.getEvent("Submit")!.topicHash;
/** Bounded eth_getLogs ranges, so a long chain is read in steps. */
const MAX_RANGE = 2000;

export interface SubmittedTx {
  seq: number;
  root: string;
  size: number;
  startEntryIndex: number;
  merkleNodes: [number, string][];
}

export interface SyncedRange {
  txs: SubmittedTx[];
  toBlock: number;
  blockHash: string;
}

interface RawLog {
  topics: string[];
  data: string;
  blockNumber: string;
  logIndex: string;
}

/** The file root from the submission's node roots: folded right to left (a left-leaning tree of subtrees). */
export function rootOfNodes(roots: readonly string[]): string {
  let root = roots[roots.length - 1]!;
  for (let i = roots.length - 2; i >= 0; i--) root = keccak256(concat([getBytes(roots[i]!), getBytes(root)]));
  return root.toLowerCase();
}

export function decodeSubmit(log: { topics: string[]; data: string }): SubmittedTx {
  const parsed = flowEvents.parseLog(log);
  if (parsed === null) throw new Error("not a Submit log");
  // ethers Results: read by index (a Result's `.length` is its arity, not the struct's `length` field).
  const args = parsed.args;
  const submission = args[5] as unknown as [bigint, string, [string, bigint][]];
  const nodes = submission[2];
  return {
    seq: Number(args[2] as bigint),
    root: rootOfNodes(nodes.map((n) => n[0])),
    size: Number(submission[0]),
    startEntryIndex: Number(args[3] as bigint),
    merkleNodes: nodes.map((n) => [Number(n[1]) + 1, n[0].toLowerCase()]),
  };
}

const toHex = (n: number) => `0x${n.toString(16)}`;

/** Reads the Submit logs of blocks `fromBlock`.. (up to the chain head, at most MAX_RANGE blocks). */
export async function readSubmissions(provider: EIP1193Provider, flowAddress: string, fromBlock: number): Promise<SyncedRange | undefined> {
  const head = Number(await provider.request({ method: "eth_blockNumber" }));
  if (head < fromBlock) return undefined;
  const toBlock = Math.min(head, fromBlock + MAX_RANGE - 1);
  const logs = (await provider.request({
    method: "eth_getLogs",
    params: [{ address: flowAddress, topics: [SUBMIT_TOPIC], fromBlock: toHex(fromBlock), toBlock: toHex(toBlock) }],
  })) as RawLog[];
  const block = (await provider.request({ method: "eth_getBlockByNumber", params: [toHex(toBlock), false] })) as { hash: string } | null;
  if (block === null) return undefined;
  const ordered = [...logs].sort((a, b) => Number(a.blockNumber) - Number(b.blockNumber) || Number(a.logIndex) - Number(b.logIndex));
  return { txs: ordered.map(decodeSubmit), toBlock, blockHash: block.hash };
}

/** The hash of block `n`, or undefined when the chain has no such block. */
export async function blockHashAt(provider: EIP1193Provider, n: number): Promise<string | undefined> {
  const block = (await provider.request({ method: "eth_getBlockByNumber", params: [toHex(n), false] })) as { hash: string } | null;
  return block?.hash;
}
