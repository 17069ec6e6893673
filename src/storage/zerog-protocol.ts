import { Interface } from "ethers";

/**
 * What 0G's own services answer, in one place: the indexer's and gateway's errors
 * (0gfoundation/0g-storage-client indexer/api.go, file_location_cache.go, indexer/gateway/errors.go,
 * common/api) and the Flow contract's reverts (0gfoundation/0g-storage-contracts FixedPriceFlow).
 * The local devnet answers with these, and the `0g` backend decides on them, so both stay in step.
 */

/** JSON-RPC code the Go indexer (go-ethereum's rpc) gives a plain error. */
export const RPC_CALL_FAILED = -32000;

/** `indexer_getFileLocations` for a root no trusted node knows. `null` means known, not yet on every shard. */
export const INDEXER_FILE_NOT_FOUND = { code: RPC_CALL_FAILED, message: "file not found" } as const;
/** `indexer_getFileLocations` when the tx the root named is unknown to every trusted node (a race). */
export const INDEXER_FILE_INFO_NOT_FOUND = { code: RPC_CALL_FAILED, message: "file info not found" } as const;
/** `indexer_getSelectedNodes` when the trusted nodes cannot cover every shard the requested number of times. */
export const INDEXER_CANNOT_SELECT = {
  code: RPC_CALL_FAILED,
  message: "cannot select a subset from the returned nodes that meets the replication requirement",
} as const;

/** True for the indexer's "this root is unknown" answer (a JsonRpcError from the SDK's client). */
export function isIndexerFileNotFound(error: unknown): boolean {
  const e = error as { code?: unknown; message?: unknown } | null;
  return e !== null && typeof e === "object" && e.code === INDEXER_FILE_NOT_FOUND.code && e.message === INDEXER_FILE_NOT_FOUND.message;
}

/**
 * The indexer's REST gateway answers `{code, message, data}`; business errors with HTTP 200,
 * internal errors with HTTP 600 (sic).
 */
export const GATEWAY = {
  success: { code: 0, message: "Success" },
  invalidParameter: { code: 1, message: "Invalid parameter" },
  internal: { code: 2, message: "Internal server error", httpStatus: 600 },
  fileNotFound: { code: 101, message: "File not found" },
  filePruned: { code: 102, message: "File already pruned" },
  fileNotFinalized: { code: 103, message: "File not finalized yet" },
} as const;

/** The real Flow's revert for an invalid submission (`require(submission.valid(), …)`). */
export const FLOW_INVALID_SUBMISSION = "Invalid submission";
/** ethers decodes the built-in Error(string) by itself. */
const flowErrors = new Interface(["error NotEnoughFee(uint256 price, uint256 sectors, uint256 paid)"]);

/** Revert data carried by an ethers / Hardhat error, wherever the client put it. */
function revertData(error: unknown): string | undefined {
  const seen = new Set<unknown>();
  for (let e = error as { data?: unknown; error?: unknown; cause?: unknown } | undefined; e && !seen.has(e);) {
    seen.add(e);
    if (typeof e.data === "string" && e.data.startsWith("0x") && e.data.length >= 10) return e.data;
    e = (e.error ?? e.cause) as typeof e | undefined;
  }
  return undefined;
}

/**
 * A sentence saying why the Flow refused a submission, or undefined when `error` is not a Flow revert
 * this module knows.
 */
export function explainFlowRevert(error: unknown): string | undefined {
  const data = revertData(error);
  if (data === undefined) return undefined;
  let parsed;
  try {
    parsed = flowErrors.parseError(data);
  } catch {
    return undefined;
  }
  if (parsed?.name === "NotEnoughFee") {
    const { price, sectors, paid } = parsed.args.toObject() as { price: bigint; sectors: bigint; paid: bigint };
    return (
      `the Flow contract wants ${sectors} sectors × ${price} wei = ${sectors * price} wei but holds only ${paid} wei ` +
      `for this submission (NotEnoughFee). The storage price rose, or the fee was set too low: retry, and check the account's balance`
    );
  }
  if (parsed?.name === "Error" && parsed.args[0] === FLOW_INVALID_SUBMISSION) {
    return (
      `the Flow contract refused the submission as invalid ("${FLOW_INVALID_SUBMISSION}": zero submitter, bad node heights, ` +
      `or a length outside the nodes' capacity). The SDK builds valid submissions; is the Flow address the node names a real 0G Flow?`
    );
  }
  return undefined;
}
