import { JsonRpcProvider, Network, type JsonRpcPayload, type JsonRpcResult } from "ethers";

import { flaiError, isFlaiError } from "../errors.js";
import { afterPendingIo } from "../util/event-loop.js";
import { MAX_JSON_RPC_RESPONSE_BYTES, isResponseTooLarge, readBodyWithin, sizeText } from "../util/http-body.js";

import { withRetries } from "./retry.js";

export interface EvmRpcOptions {
  /** Longest one HTTP request may take before it is aborted (and retried when safe). */
  attemptTimeoutMs: number;
  retries: number;
  /** Told before every request (the 0G backend turns it into a progress step). */
  onRequest?: (what: string) => void;
}

type Payload = JsonRpcPayload | JsonRpcPayload[];
/** As ethers types it; error replies ({id, error}) come back in the same array. */
type Results = JsonRpcResult[];

/**
 * The HTTP EVM RPC the 0G storage SDK reads fees through, hardened: ethers' own JsonRpcProvider
 * retries network detection forever (a dead URL hangs), never retries a reset connection or a 503,
 * and waits 5 minutes for an answer. This one runs on a known chain, aborts every request after
 * `attemptTimeoutMs`, retries transient failures of reads (never of a transaction send), and
 * fails with an error naming the URL.
 */
export class EvmRpc extends JsonRpcProvider {
  readonly url: string;
  readonly #opts: EvmRpcOptions;

  private constructor(url: string, network: Network, opts: EvmRpcOptions) {
    super(url, network, { staticNetwork: network });
    this.url = url;
    this.#opts = opts;
  }

  /** Asks `url` for its chain id (with the same timeouts and retries) and binds to that chain. */
  static async connect(url: string, opts: EvmRpcOptions): Promise<EvmRpc> {
    const [reply] = await send(url, { id: 1, jsonrpc: "2.0", method: "eth_chainId", params: [] }, opts);
    if (reply?.result === undefined) {
      throw flaiError(`The EVM RPC ${url} did not return a chain id (${JSON.stringify(reply)}). Check flai.storage.evmRpc.`);
    }
    return new EvmRpc(url, Network.from(BigInt(reply.result as string)), opts);
  }

  override async _send(payload: Payload): Promise<Results> {
    return send(this.url, payload, this.#opts);
  }
}

async function send(url: string, payload: Payload, opts: EvmRpcOptions): Promise<Results> {
  const methods = (Array.isArray(payload) ? payload : [payload]).map((p) => p.method);
  const what = methods.join(", ");
  // A transaction that timed out may still have been sent: only reads are retried.
  const safe = methods.every((m) => !m.startsWith("eth_send"));
  opts.onRequest?.(`asking the EVM RPC ${url} (${what})`);
  try {
    const body = await withRetries(() => postJsonRpc<Results | Results[number]>(url, payload, opts.attemptTimeoutMs), {
      retries: safe ? opts.retries : 0,
    });
    return Array.isArray(body) ? body : [body];
  } catch (error) {
    if (isFlaiError(error)) throw error; // already says what and where (an oversized answer)
    throw flaiError(
      `The EVM RPC ${url} failed (${what}): ${(error as Error).message}. Check that it is reachable and on the right chain ` +
        `(flai.storage.evmRpc, default: the network's own URL); raise flai.storage.timeoutSeconds or retries for slow links.`,
      error,
    );
  }
}

export interface PostOptions {
  /** Largest answer read (default MAX_JSON_RPC_RESPONSE_BYTES); past it the request is aborted. */
  maxBytes?: number;
  /** Aborts the request (a transfer abandoned by its caller stops at once, not after the answer). */
  signal?: AbortSignal;
}

/**
 * One JSON-RPC POST, aborted after `timeoutMs`; a transport failure or an HTTP error status throws
 * with its cause in the message (ECONNRESET, 503, timeout), so withRetries can tell what is transient.
 * An answer over `maxBytes` is cut off (the socket closed) with a plugin error naming the URL, the
 * method and the limit, which is never retried.
 */
export async function postJsonRpc<T>(url: string, payload: unknown, timeoutMs: number, opts: PostOptions = {}): Promise<T> {
  const limit = opts.maxBytes ?? MAX_JSON_RPC_RESPONSE_BYTES;
  // A close the node sent while this thread was busy (a long parse or training) is read first, so the
  // request does not go out on that dead keep-alive connection (src/chain/keep-alive.ts says more).
  await afterPendingIo();
  const stop = new AbortController();
  const signals = [AbortSignal.timeout(timeoutMs), stop.signal, ...(opts.signal === undefined ? [] : [opts.signal])];
  let response: Response;
  let text: string;
  try {
    response = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(payload),
      signal: AbortSignal.any(signals),
    });
    text = (await readBodyWithin(response, url, limit, () => stop.abort())).toString("utf8");
  } catch (error) {
    if (isResponseTooLarge(error)) throw tooLarge(url, payload, limit, error);
    if ((error as Error).name === "TimeoutError") {
      throw new Error(`no answer within ${timeoutMs} ms (timeout)`, { cause: error });
    }
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    throw new Error(`${(error as Error).message}${cause === undefined ? "" : ` (${cause.code ?? cause.message})`}`, { cause: error });
  }
  if (!response.ok) {
    throw new Error(`HTTP ${response.status} ${response.statusText}`.trim());
  }
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new Error(`not a JSON-RPC answer: ${JSON.stringify(text.slice(0, 120))}`);
  }
}

function methodsOf(payload: unknown): string {
  const calls = Array.isArray(payload) ? payload : [payload];
  return calls.map((c) => String((c as { method?: unknown } | null)?.method ?? "?")).join(", ");
}

function tooLarge(url: string, payload: unknown, limit: number, cause: Error) {
  return flaiError(
    `${url} answered ${methodsOf(payload)} with more than ${sizeText(limit)} (the most read for such an answer); ` +
      "the transfer was stopped. The server is faulty or not the one meant: check the URL (flai.storage.indexerUrl, " +
      "flai.storage.evmRpc, or the storage nodes the indexer lists).",
    cause,
  );
}
