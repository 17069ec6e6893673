// The 0G compute SDK's own HTTP reads, capped (issue 15). The SDK calls the global `fetch` and reads
// a provider's answer whole (`response.json()`, `arrayBuffer()`), with no timeout of its own; the
// provider is found on-chain and untrusted, so an endless answer would fill memory and a stalled one
// hang the command. scripts/bundle-sdks.mjs routes every free `fetch` of the compute bundle to
// `sdkFetch` below (esbuild define + inject), so the SDK's code stays as published.
//
// This file is bundled into vendor/0g-compute-sdk.js: it imports nothing but ./http-body.js (no
// Hardhat, no ethers), and it reaches the real fetch as `globalThis.fetch` — a bare `fetch` here
// would be rewritten to `sdkFetch` itself by the bundler.

import { isResponseTooLarge, readBodyWithin } from "./http-body.js";

/**
 * What one answer the SDK reads may be at most: what it legitimately reads from a provider (the
 * unsettled fee, a response signature, an attestation quote, a model list) is kilobytes.
 */
export const SDK_ANSWER_LIMIT_BYTES = 4 * 1024 * 1024;

/** How long one of those reads may take, from the request to the last byte (our own small reads: 30 s too). */
export const SDK_ANSWER_TIMEOUT_MS = 30_000;

/** Thrown when the exchange passes its time; `code` lets callers decide without reading the message. */
export class ResponseTimedOut extends Error {
  readonly code = "FLAI_RESPONSE_TIMEOUT";
  constructor(
    readonly url: string,
    readonly timeoutMs: number,
  ) {
    // No URL here, as in ResponseTooLarge: a port in it could read as an HTTP status to text-matching rules.
    super(`no complete answer within ${timeoutMs / 1000} s`);
  }
}

export function isResponseTimedOut(error: unknown): error is ResponseTimedOut {
  return (error as { code?: unknown } | null)?.code === "FLAI_RESPONSE_TIMEOUT";
}

// Statuses whose Response may not carry a body (the Response constructor refuses one).
const NULL_BODY_STATUSES = new Set([101, 103, 204, 205, 304]);

function urlOf(input: string | URL | Request): string {
  return typeof input === "string" ? input : input instanceof URL ? input.href : input.url;
}

/**
 * A fetch whose answer is read in full before it is returned, at most `limit` bytes and within
 * `timeoutMs` (or until the caller's signal aborts). Past either the request is aborted — undici then
 * destroys the socket, so the server sees the connection close — and ResponseTooLarge or
 * ResponseTimedOut is thrown. The Response returned holds the bytes read, so the caller's
 * json()/text()/arrayBuffer() read no further from the network.
 */
export function cappedFetch(limit: number, timeoutMs: number): typeof fetch {
  return async (input, init) => {
    const url = urlOf(input);
    const stop = new AbortController();
    const timeout = AbortSignal.timeout(timeoutMs);
    const callerSignal = init?.signal ?? (input instanceof Request ? input.signal : undefined);
    const signals = [timeout, stop.signal, ...(callerSignal == null ? [] : [callerSignal])];
    try {
      const response = await globalThis.fetch(input, { ...init, signal: AbortSignal.any(signals) });
      const body = await readBodyWithin(response, url, limit, () => stop.abort());
      return rebuilt(response, body);
    } catch (error) {
      // The timeout's own abort (not the caller's): named by code, with the URL and the time allowed.
      if (!isResponseTooLarge(error) && timeout.aborted && callerSignal?.aborted !== true) throw new ResponseTimedOut(url, timeoutMs);
      throw error;
    }
  };
}

/** `response` again, with `body` (already read) as its body. */
function rebuilt(response: Response, body: Buffer): Response {
  const copy = new Response(NULL_BODY_STATUSES.has(response.status) ? null : body, {
    status: response.status,
    statusText: response.statusText,
    headers: response.headers,
  });
  Object.defineProperty(copy, "url", { value: response.url });
  return copy;
}

/** The fetch the compute SDK bundle calls in place of the global one. */
export const sdkFetch = cappedFetch(SDK_ANSWER_LIMIT_BYTES, SDK_ANSWER_TIMEOUT_MS);
