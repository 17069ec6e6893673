import { SEGMENT_CHUNKS } from "./merkle.js";

/**
 * 0G storage sharding (0g-storage-node storage/src/config.rs, 0g-storage-client common/shard): a node
 * with `{numShard, shardId}` keeps the flow segments whose global index ≡ shardId (mod numShard). A
 * file's local segment i is global segment ⌊startEntryIndex / 1024⌋ + i (a file never straddles a
 * segment boundary from an unaligned start, so that is exact).
 */

export interface ShardConfig {
  numShard: number;
  shardId: number;
}

export interface ShardedNode {
  url: string;
  config: ShardConfig;
  /** RPC latency in milliseconds. */
  latency: number;
  /** Unix seconds of the last update; the Go indexer leaves it 0. */
  since: number;
}

/** The node's ShardConfig::validate and the client's IsValid: numShard a power of two, shardId below it. */
export function isValidShard(config: ShardConfig): boolean {
  const { numShard, shardId } = config;
  return (
    Number.isSafeInteger(numShard) &&
    Number.isSafeInteger(shardId) &&
    numShard > 0 &&
    (numShard & (numShard - 1)) === 0 &&
    shardId >= 0 &&
    shardId < numShard
  );
}

export function holdsSegment(config: ShardConfig, globalSegment: number): boolean {
  return globalSegment % config.numShard === config.shardId;
}

/** The file's local segment indices (of `dataSegments`) this shard keeps. */
export function segmentsOfShard(config: ShardConfig, startEntryIndex: number, dataSegments: number): number[] {
  const first = Math.floor(startEntryIndex / SEGMENT_CHUNKS);
  const mine: number[] = [];
  for (let i = 0; i < dataSegments; i++) if (holdsSegment(config, first + i)) mine.push(i);
  return mine;
}

/**
 * Picks, in the given order, the nodes that add a replica to a residue class (counted at the finest
 * sharding among them) still short of `replica`, until every class has `replica` copies: the rule of
 * the Go client's shard.Select and the SDK's selectNodes. Undefined when the nodes cannot cover them.
 */
export function selectCovering(nodes: readonly ShardedNode[], replica: number): ShardedNode[] | undefined {
  if (replica <= 0) return [];
  const finest = Math.max(1, ...nodes.map((n) => n.config.numShard));
  const counts = new Array<number>(finest).fill(0);
  const classesOf = ({ numShard, shardId }: ShardConfig) => Array.from({ length: finest / numShard }, (_, k) => shardId + k * numShard);
  const selected: ShardedNode[] = [];
  for (const node of nodes) {
    const classes = classesOf(node.config);
    if (Math.min(...classes.map((r) => counts[r]!)) >= replica) continue;
    selected.push(node);
    for (const r of classes) counts[r]!++;
    if (Math.min(...counts) >= replica) return selected;
  }
  return undefined;
}

/** The Go indexer's ordering before selection: "min", "max", "random", or a numShard to filter by. */
export function orderForSelection(nodes: readonly ShardedNode[], method: string): ShardedNode[] {
  const byShard = (dir: 1 | -1) => (a: ShardedNode, b: ShardedNode) =>
    a.config.numShard === b.config.numShard ? a.config.shardId - b.config.shardId : dir * (a.config.numShard - b.config.numShard);
  switch (method) {
    case "min":
      return [...nodes].sort(byShard(1));
    case "max":
      return [...nodes].sort(byShard(-1));
    case "random": {
      const out = [...nodes];
      for (let i = out.length - 1; i > 0; i--) {
        const j = Math.floor(Math.random() * (i + 1));
        [out[i], out[j]] = [out[j]!, out[i]!];
      }
      return out;
    }
    default: {
      const size = /^\d+$/.test(method) ? Number(method) : 0;
      return size > 0 ? nodes.filter((n) => n.config.numShard === size) : [];
    }
  }
}
