/**
 * The 0G storage node's JSON-RPC errors (code, message, data), as its own helpers build them. Here
 * rather than in devnet/: the storage client checks downloaded segments with the node's own rules
 * (segments.ts), and the devnet nodes answer with the same errors.
 */

/** An error the handler wants on the wire as is. */
export class RpcError extends Error {
  constructor(
    readonly code: number,
    message: string,
    readonly data?: unknown,
  ) {
    super(message);
  }
}

// The node's helpers (node/rpc/src/error.rs) and jsonrpsee's mapping of anyhow errors.
export const invalidParams = (param: string, message: string) => new RpcError(-32602, `Invalid params: ${param}`, message);
export const internalError = (message: string) => new RpcError(-32603, "Internal error", message);
/** An `anyhow` error inside the node surfaces as jsonrpsee's "call execution failed". */
export const callFailed = (message: string) => new RpcError(-32000, message);
export const badParams = (detail: string) => new RpcError(-32602, "Invalid params", detail);
