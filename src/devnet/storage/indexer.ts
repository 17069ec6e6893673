import { SEGMENT_SIZE } from "../../storage/merkle.js";
import { INDEXER_CANNOT_SELECT, INDEXER_FILE_INFO_NOT_FOUND, INDEXER_FILE_NOT_FOUND } from "../../storage/zerog-protocol.js";

import { callRpc, RpcError, type Handler } from "./rpc.js";
import { isValidShard, orderForSelection, selectCovering, type ShardConfig, type ShardedNode } from "../../storage/shard.js";

/**
 * The 0G storage indexer (0gfoundation/0g-storage-client indexer/api.go, node_manager.go,
 * file_location_cache.go) in front of a fixed list of trusted storage nodes. Like the real one it
 * asks the nodes over JSON-RPC on every call, so a node that is down simply drops out and a node
 * restarted at the same URL is back.
 */

/** What `zgs_getFileInfo` answers (the fields the indexer reads). */
export interface NodeFileInfo {
  tx: { seq: number; size: number; dataMerkleRoot: string; startEntryIndex: number };
  finalized: boolean;
  isCached: boolean;
  uploadedSegNum: number;
  pruned: boolean;
}

/** go-ethereum's rpc: a positional argument that is missing or has the wrong JSON type. */
const missingArgument = (i: number) => new RpcError(-32602, `missing value for required argument ${i}`);
const wrongType = (i: number, type: string, value: unknown) =>
  new RpcError(
    -32602,
    `invalid argument ${i}: json: cannot unmarshal ${value === null ? "null" : typeof value} into Go value of type ${type}`,
  );

function arg<T>(params: unknown[], i: number, type: string, ok: (v: unknown) => boolean): T {
  if (i >= params.length) throw missingArgument(i);
  if (!ok(params[i])) throw wrongType(i, type, params[i]);
  return params[i] as T;
}

const isUint = (v: unknown) => typeof v === "number" && Number.isSafeInteger(v) && v >= 0;
const isString = (v: unknown) => typeof v === "string";
const isBool = (v: unknown) => typeof v === "boolean";
const isStrings = (v: unknown) => v === null || (Array.isArray(v) && v.every(isString));

export class IndexerCore {
  constructor(
    readonly nodeUrls: readonly string[],
    private readonly timeoutMs = 5000,
  ) {}

  call<T>(url: string, method: string, params: unknown[] = []): Promise<T> {
    return callRpc<T>(url, method, params, this.timeoutMs);
  }

  /** NodeManager.Trusted: every trusted node that answers with a valid shard config. */
  async trusted(): Promise<ShardedNode[]> {
    const answers = await Promise.all(
      this.nodeUrls.map(async (url) => {
        const start = Date.now();
        const config = await this.call<ShardConfig>(url, "zgs_getShardConfig").catch(() => undefined);
        if (config === undefined || !isValidShard(config)) return undefined;
        return { url, config: { shardId: config.shardId, numShard: config.numShard }, latency: Date.now() - start, since: 0 };
      }),
    );
    return answers.filter((n): n is ShardedNode => n !== undefined);
  }

  /** The tx seq of the first trusted node that knows `root` (available or not), as GetFileLocations looks it up. */
  async txSeqOf(root: string): Promise<number | undefined> {
    for (const url of this.nodeUrls) {
      const info = await this.call<NodeFileInfo | null>(url, "zgs_getFileInfo", [root, true]).catch(() => null);
      if (info !== null) return info.tx.seq;
    }
    return undefined;
  }

  /**
   * FileLocationCache.GetFileLocations without the P2P discovery: the trusted nodes that have the
   * tx finalized when together they cover every shard, else null.
   */
  async locationsOf(txSeq: number): Promise<ShardedNode[] | null> {
    const nodes: ShardedNode[] = [];
    let segments = 0;
    for (const url of this.nodeUrls) {
      const start = Date.now();
      const info = await this.call<NodeFileInfo | null>(url, "zgs_getFileInfoByTxSeq", [txSeq]).catch(() => null);
      if (info !== null) segments = Math.ceil(info.tx.size / SEGMENT_SIZE);
      if (info === null || !info.finalized) continue;
      const config = await this.call<ShardConfig>(url, "zgs_getShardConfig").catch(() => undefined);
      if (config === undefined || !isValidShard(config)) continue;
      nodes.push({ url, config: { shardId: config.shardId, numShard: config.numShard }, latency: Date.now() - start, since: 0 });
    }
    if (nodes.length === 0 && segments === 0) throw new RpcError(INDEXER_FILE_INFO_NOT_FOUND.code, INDEXER_FILE_INFO_NOT_FOUND.message);
    return selectCovering(nodes, 1) === undefined ? null : nodes;
  }

  async fileLocations(root: string): Promise<ShardedNode[] | null> {
    const seq = await this.txSeqOf(root);
    if (seq === undefined) throw new RpcError(INDEXER_FILE_NOT_FOUND.code, INDEXER_FILE_NOT_FOUND.message);
    return this.locationsOf(seq);
  }

  /** IndexerApi.GetSelectedNodes; there are no discovered nodes, so all replicas come from the trusted ones. */
  async selectedNodes(params: unknown[]) {
    const replica = arg<number>(params, 0, "uint", isUint);
    const method = arg<string>(params, 1, "string", isString);
    arg<boolean>(params, 2, "bool", isBool); // fullTrusted: only matters with discovered nodes
    const dropped = new Set(arg<string[] | null>(params, 3, "[]string", isStrings) ?? []);
    const candidates = (await this.trusted()).filter((n) => !dropped.has(n.url));
    const selected = selectCovering(orderForSelection(candidates, method), replica);
    if (selected === undefined) throw new RpcError(INDEXER_CANNOT_SELECT.code, INDEXER_CANNOT_SELECT.message);
    return { trusted: selected, discovered: [] };
  }

  methods(): Map<string, Handler> {
    // Go marshals an empty node list as null.
    const orNull = (nodes: ShardedNode[]) => (nodes.length === 0 ? null : nodes);
    return new Map<string, Handler>([
      ["indexer_getShardedNodes", async () => ({ trusted: orNull(await this.trusted()), discovered: null })],
      ["indexer_getSelectedNodes", (params) => this.selectedNodes(params)],
      ["indexer_getNodeLocations", () => ({})], // IP geolocation; loopback nodes have none
      ["indexer_getFileLocations", (params) => this.fileLocations(arg<string>(params, 0, "string", isString).toLowerCase())],
    ]);
  }
}
