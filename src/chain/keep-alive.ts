import type { HookContext, NetworkHooks } from "hardhat/types/hooks";
import type { ChainType, NetworkConnection } from "hardhat/types/network";
import type { JsonRpcRequest, JsonRpcResponse } from "hardhat/types/providers";

import { HardhatError } from "@nomicfoundation/hardhat-errors";

import { flaiError } from "../errors.js";
import { afterPendingIo } from "../util/event-loop.js";

/*
 * Why this exists. Hardhat's HTTP provider keeps connections to the node open (an undici pool) and
 * reuses an idle one for the next request. A node closes an idle connection after its keep-alive
 * timeout (`hardhat node`: 5 s, plus Node's 1 s buffer). When the main thread runs synchronously for
 * longer than that (a client parsing and training at D = 1e6), the node's close is sitting unread in
 * the socket when the next request is written: the pool still believes the connection is open, writes
 * on it, and the node answers with a reset ("Failed to make POST request", cause `read ECONNRESET`).
 *
 * The fix at the root: let the event loop turn once (setImmediate) before a request goes out, so
 * the poll phase reads any close that arrived while the thread was busy and the pool drops that
 * connection; the request then opens a fresh one. This costs one loop turn (microseconds) per request
 * to an HTTP node, nothing next to its round trip, and needs no setting Hardhat does not expose (its
 * dispatcher's keep-alive timeout could not help anyway: its timer cannot fire while the thread is
 * busy either).
 *
 * What remains is the ordinary keep-alive race: a node (or a proxy in front of a public RPC) closing
 * an idle connection at the very moment a request is written on it. A request that is safe to send
 * twice is then sent once more, on a new connection; one that is not (a transaction to be signed or
 * sent) is not, and its failure is reported.
 */

/** Node error codes of a connection that was closed or reset under a request (never a refusal). */
const CLOSED_UNDER_REQUEST = new Set(["ECONNRESET", "EPIPE", "UND_ERR_SOCKET"]);

/**
 * Methods sent a second time after such a failure. Reads are idempotent. Sending is not retried:
 * `eth_sendTransaction` reaches this hook before Hardhat signs it, so a retry would sign a second
 * transaction with a fresh nonce if the first one had arrived; `eth_sendRawTransaction` would be safe
 * to repeat (same bytes, same hash) but a node that already mined it answers "nonce too low", an
 * error that would hide the success; both are left to the caller.
 */
const NOT_RETRIED = new Set(["eth_sendTransaction", "eth_sendRawTransaction"]);
const RETRIED_NAMESPACES = ["eth_", "net_", "web3_"];

export function isRetriedMethod(method: string): boolean {
  return !NOT_RETRIED.has(method) && RETRIED_NAMESPACES.some((namespace) => method.startsWith(namespace));
}

/** The Node error code of a connection closed under the request, found in the error's cause chain. */
export function closedConnectionCode(error: unknown): string | undefined {
  const seen = new Set<unknown>();
  let current: unknown = error;
  while (typeof current === "object" && current !== null && !seen.has(current)) {
    seen.add(current);
    const { code, cause } = current as { code?: unknown; cause?: unknown };
    if (typeof code === "string" && CLOSED_UNDER_REQUEST.has(code)) {
      return code;
    }
    current = cause;
  }
  return undefined;
}

/** The network hook: every request to an HTTP node goes out after one loop turn, retried once if safe. */
export async function onRequest<ChainTypeT extends ChainType | string>(
  context: HookContext,
  connection: NetworkConnection<ChainTypeT>,
  request: JsonRpcRequest,
  next: (context: HookContext, connection: NetworkConnection<ChainTypeT>, request: JsonRpcRequest) => Promise<JsonRpcResponse>,
): Promise<JsonRpcResponse> {
  if (connection.networkConfig.type !== "http") {
    return await next(context, connection, request);
  }
  await afterPendingIo();
  try {
    return await next(context, connection, request);
  } catch (error) {
    const code = closedConnectionCode(error);
    if (code === undefined || !isRetriedMethod(request.method)) {
      throw await explainNodeFailure(error, connection, request.method);
    }
    await afterPendingIo();
    try {
      return await next(context, connection, request);
    } catch (again) {
      throw await explainNodeFailure(again, connection, request.method, code);
    }
  }
}

/**
 * A refused or reset connection as a plugin error naming the network, its node and how to check it;
 * every other error (a revert, a node's JSON-RPC error, a timeout) is passed on unchanged.
 */
export async function explainNodeFailure(
  error: unknown,
  connection: NetworkConnection<ChainType | string>,
  method: string,
  firstCode?: string,
): Promise<unknown> {
  const refused = HardhatError.isHardhatError(error, HardhatError.ERRORS.CORE.NETWORK.CONNECTION_REFUSED);
  const code = closedConnectionCode(error);
  if (!refused && code === undefined) {
    return error;
  }
  const what = refused ? "refused the connection" : `closed the connection under the request (${code})`;
  const retried = firstCode === undefined ? "" : ` after a first attempt failed the same way (${firstCode})`;
  return flaiError(
    `Network "${connection.networkName}"${await nodeOrigin(connection)}: the node ${what} while answering ${method}${retried}. ` +
      `Check that the node is running and reachable, and the url of networks.${connection.networkName} in your Hardhat config.`,
    error,
  );
}

/** The node's origin (scheme, host, port: never a path or credentials, which may hold an API key). */
async function nodeOrigin(connection: NetworkConnection<ChainType | string>): Promise<string> {
  const config = connection.networkConfig;
  if (config.type !== "http") {
    return "";
  }
  try {
    const url = typeof config.url === "string" ? config.url : await config.url.get();
    return ` (${new URL(url).origin})`;
  } catch {
    return "";
  }
}

/** The handlers to register under the "network" hook category. */
export const keepAliveHooks: Partial<NetworkHooks> = { onRequest };

const registered = new WeakSet<object>();

/** Registers the hook once per runtime (its hook manager); later calls do nothing. */
export function installKeepAliveHook(hooks: { registerHandlers(category: "network", handlers: Partial<NetworkHooks>): void }): void {
  if (registered.has(hooks)) {
    return;
  }
  registered.add(hooks);
  hooks.registerHandlers("network", keepAliveHooks);
}
