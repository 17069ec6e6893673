import { computeRoot, CHUNK_SIZE, SEGMENT_CHUNKS } from "../../storage/merkle.js";
import { segmentLayout } from "../../storage/proof.js";
import { GATEWAY } from "../../storage/zerog-protocol.js";

import type { IndexerCore, NodeFileInfo } from "./indexer.js";
import type { HttpReply } from "./rpc.js";
import { holdsSegment, type ShardedNode } from "../../storage/shard.js";

/**
 * The indexer's REST gateway (0g-storage-client indexer/gateway): `GET /file?root=…|txSeq=…[&name=…]`
 * serves a stored file as an attachment, `GET /file/info/{root|txSeq}` its combined info,
 * `GET /node/status` the trusted nodes' combined status. Answers are `{code, message, data}`:
 * business errors with HTTP 200, internal errors with HTTP 600, as gin does there.
 */

type Cid = { root: string } | { txSeq: number };

/** A gateway error: HTTP 200 with a business code, or 600 for an internal one. */
class GatewayError extends Error {
  constructor(
    readonly code: number,
    message: string,
    readonly data: unknown = null,
    readonly httpStatus = 200,
  ) {
    super(message);
  }
}

const business = (e: { code: number; message: string }, data: unknown = null) => new GatewayError(e.code, e.message, data);
const internal = (detail: string) => new GatewayError(GATEWAY.internal.code, GATEWAY.internal.message, detail, GATEWAY.internal.httpStatus);

function json(status: number, body: unknown): HttpReply {
  return { status, headers: { "content-type": "application/json; charset=utf-8" }, body: JSON.stringify(body) };
}

/** gateway.NewCid: a decimal number is a tx seq, anything else a root. */
function cidOf(text: string): Cid {
  return /^\d+$/.test(text) ? { txSeq: Number(text) } : { root: text.toLowerCase() };
}

export async function answerGateway(indexer: IndexerCore, url: URL): Promise<HttpReply> {
  try {
    if (url.pathname === "/file") return await downloadFile(indexer, url.searchParams);
    const info = /^\/file\/info\/([^/]+)$/.exec(url.pathname);
    if (info) return json(200, { ...GATEWAY.success, data: await fileStatus(indexer, cidOf(decodeURIComponent(info[1]!).trim())) });
    if (url.pathname === "/node/status") return json(200, { ...GATEWAY.success, data: await nodeStatus(indexer) });
    return { status: 404, headers: { "content-type": "text/plain" }, body: "404 page not found" };
  } catch (error) {
    if (!(error instanceof GatewayError)) throw error;
    return json(error.httpStatus, { code: error.code, message: error.message, data: error.data });
  }
}

/** RestController.getAvailableFileLocations: the finalized nodes covering every shard, or none. */
async function locations(indexer: IndexerCore, cid: Cid): Promise<ShardedNode[]> {
  const seq = "txSeq" in cid ? cid.txSeq : await indexer.txSeqOf(cid.root);
  if (seq === undefined) return [];
  try {
    return (await indexer.locationsOf(seq)) ?? [];
  } catch (error) {
    throw internal(`Failed to get available storage nodes: failed to get file locations: ${(error as Error).message}`);
  }
}

/** getOverallFileInfo: one node's info with finalized/cached AND-ed, pruned OR-ed, uploadedSegNum the least; null if any node lacks it. */
async function overallInfo(indexer: IndexerCore, urls: readonly string[], cid: Cid): Promise<NodeFileInfo | null> {
  let overall: NodeFileInfo | null = null;
  for (const url of urls) {
    let info: NodeFileInfo | null;
    try {
      info =
        "txSeq" in cid
          ? await indexer.call<NodeFileInfo | null>(url, "zgs_getFileInfoByTxSeq", [cid.txSeq])
          : await indexer.call<NodeFileInfo | null>(url, "zgs_getFileInfo", [cid.root, true]);
    } catch (error) {
      throw internal(`Failed to retrieve file info: ${(error as Error).message}`);
    }
    if (info === null) return null;
    overall = overall === null ? info : combine(overall, info);
  }
  return overall;
}

function combine(a: NodeFileInfo, b: NodeFileInfo): NodeFileInfo {
  return {
    ...a,
    finalized: a.finalized && b.finalized,
    isCached: a.isCached && b.isCached,
    pruned: a.pruned || b.pruned,
    uploadedSegNum: Math.min(a.uploadedSegNum, b.uploadedSegNum),
  };
}

/** getFileStatus: from the nodes holding the file, else from every trusted node. */
async function fileStatus(indexer: IndexerCore, cid: Cid): Promise<NodeFileInfo> {
  const holders = (await locations(indexer, cid)).map((n) => n.url);
  const info = (await overallInfo(indexer, holders, cid)) ?? (await overallInfo(indexer, indexer.nodeUrls, cid));
  if (info === null) throw business(GATEWAY.fileNotFound);
  return info;
}

/** getNodeStatus: the lowest sync height and next tx seq, the most peers, over every trusted node. */
async function nodeStatus(indexer: IndexerCore) {
  type Status = { connectedPeers: number; logSyncHeight: number; logSyncBlock: string; nextTxSeq: number };
  let overall: Status | undefined;
  for (const url of indexer.nodeUrls) {
    let status: Status;
    try {
      status = await indexer.call<Status>(url, "zgs_getStatus");
    } catch (error) {
      throw internal(`Failed to retrieve node status: ${(error as Error).message}`);
    }
    if (overall === undefined) {
      overall = status;
      continue;
    }
    if (overall.logSyncHeight > status.logSyncHeight) {
      overall = { ...overall, logSyncHeight: status.logSyncHeight, logSyncBlock: status.logSyncBlock };
    }
    overall = {
      ...overall,
      connectedPeers: Math.max(overall.connectedPeers, status.connectedPeers),
      nextTxSeq: Math.min(overall.nextTxSeq, status.nextTxSeq),
    };
  }
  return overall ?? null;
}

/** downloadFile: the whole file from the nodes holding it, checked against its root, as an attachment. */
async function downloadFile(indexer: IndexerCore, query: URLSearchParams): Promise<HttpReply> {
  const root = query.get("root") ?? "";
  const txSeqText = query.get("txSeq");
  if (txSeqText !== null && !/^\d+$/.test(txSeqText)) {
    throw business(GATEWAY.invalidParameter, `strconv.ParseUint: parsing ${JSON.stringify(txSeqText)}: invalid syntax`);
  }
  if (txSeqText === null && root === "") throw business(GATEWAY.invalidParameter, "Either 'root' or 'txSeq' must be provided");
  const cid: Cid = txSeqText !== null ? { txSeq: Number(txSeqText) } : { root: root.toLowerCase() };
  const holders = await locations(indexer, cid);
  const info = await overallInfo(
    indexer,
    holders.map((n) => n.url),
    cid,
  );
  if (info === null) throw business(GATEWAY.fileNotFound);
  if (info.pruned) throw business(GATEWAY.filePruned);
  if (!info.finalized) throw business(GATEWAY.fileNotFinalized);
  const bytes = await assemble(indexer, holders, info);
  // The Go gateway downloads with proofs checked; re-rooting the whole file is the same check.
  if (computeRoot(bytes) !== info.tx.dataMerkleRoot.toLowerCase()) {
    throw internal(`Failed to download file: the storage nodes served bytes whose root is not ${info.tx.dataMerkleRoot}`);
  }
  const name = query.get("name") || info.tx.dataMerkleRoot;
  return {
    status: 200,
    headers: { "content-type": "application/octet-stream", "content-disposition": attachment(name) },
    body: bytes,
  };
}

/** gin's FileAttachment header: a quoted ASCII name, or RFC 5987 UTF-8 for anything else. */
function attachment(name: string): string {
  return /^[\x20-\x7e]*$/.test(name)
    ? `attachment; filename="${name.replace(/["\\]/g, "\\$&")}"`
    : `attachment; filename*=UTF-8''${encodeURIComponent(name)}`;
}

/** Each segment from a node whose shard holds it; the last chunk's padding trimmed. */
async function assemble(indexer: IndexerCore, holders: readonly ShardedNode[], info: NodeFileInfo): Promise<Uint8Array> {
  const { size, seq, startEntryIndex } = info.tx;
  const chunks = Math.ceil(size / CHUNK_SIZE);
  const first = Math.floor(startEntryIndex / SEGMENT_CHUNKS);
  const out = new Uint8Array(chunks * CHUNK_SIZE);
  for (let i = 0; i < segmentLayout(size).dataSegments; i++) {
    const start = i * SEGMENT_CHUNKS;
    const end = Math.min(chunks, start + SEGMENT_CHUNKS);
    const data = await segmentFrom(
      indexer,
      holders.filter((n) => holdsSegment(n.config, first + i)),
      seq,
      start,
      end,
    );
    if (data === undefined) throw internal(`Failed to download file: no storage node holds segment ${i}`);
    out.set(data.subarray(0, (end - start) * CHUNK_SIZE), start * CHUNK_SIZE);
  }
  return out.subarray(0, size);
}

async function segmentFrom(indexer: IndexerCore, nodes: readonly ShardedNode[], seq: number, start: number, end: number) {
  for (const node of nodes) {
    const data = await indexer.call<string | null>(node.url, "zgs_downloadSegmentByTxSeq", [seq, start, end]).catch(() => null);
    if (data !== null) return new Uint8Array(Buffer.from(data, "base64"));
  }
  return undefined;
}
