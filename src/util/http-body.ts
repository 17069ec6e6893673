// Response bodies read with a size limit (issue 15: a 200 MB JSON-RPC answer, a storage node sending an
// endless body). fetch's own text()/json()/arrayBuffer() read whatever arrives; these stop at the limit
// and abort the request, which makes undici destroy the socket, so the server sees the connection close
// and nothing more is transferred.

/** What a JSON-RPC answer of ours may be at most: far above any real answer, far below memory. */
export const MAX_JSON_RPC_RESPONSE_BYTES = 64 * 1024 * 1024;

/**
 * What a 0G storage node's answer may be at most: a segment (256 KiB, 342 KiB in base64) with its
 * proof and the file info fit many times over.
 */
export const MAX_NODE_ANSWER_BYTES = 4 * 1024 * 1024;

/** Thrown when a body passes its limit; `code` lets callers decide without reading the message. */
export class ResponseTooLarge extends Error {
  readonly code = "FLAI_RESPONSE_TOO_LARGE";
  constructor(
    readonly url: string,
    readonly limit: number,
  ) {
    // No URL here: a port in it could read as an HTTP status to text-matching retry rules.
    super(`the answer is larger than ${limit} bytes`);
  }
}

export function isResponseTooLarge(error: unknown): error is ResponseTooLarge {
  return (error as { code?: unknown } | null)?.code === "FLAI_RESPONSE_TOO_LARGE";
}

/**
 * The body of `response`, at most `limit` bytes. A Content-Length over the limit is refused before a
 * byte is read; a longer body (chunked, or lying) is cut at the limit. Either way `abort` is called
 * (the controller of the request's signal) so the connection is dropped, not drained.
 */
export async function readBodyWithin(response: Response, url: string, limit: number, abort: () => void): Promise<Buffer> {
  const declared = Number(response.headers.get("content-length") ?? NaN);
  if (declared > limit) {
    abort();
    throw new ResponseTooLarge(url, limit);
  }
  if (response.body === null) return Buffer.alloc(0);
  const reader = response.body.getReader();
  const parts: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > limit) {
      abort();
      await reader.cancel().catch(() => undefined);
      throw new ResponseTooLarge(url, limit);
    }
    parts.push(value);
  }
  return Buffer.concat(parts, total);
}

/** `limit` as people read it: "4 GiB", "64 MiB", "256 KiB", or bytes. */
export function sizeText(limit: number): string {
  if (limit % 1024 ** 3 === 0) return `${limit / 1024 ** 3} GiB`;
  if (limit % (1024 * 1024) === 0) return `${limit / (1024 * 1024)} MiB`;
  if (limit % 1024 === 0) return `${limit / 1024} KiB`;
  return `${limit} bytes`;
}

/**
 * fetch, with the answer's body read at most `limit` bytes and the whole exchange aborted after
 * `timeoutMs` (or by `signal`). Past the limit the request is aborted (socket closed) and
 * ResponseTooLarge thrown; the caller words the error for its user.
 */
export async function fetchWithin(
  url: string,
  init: RequestInit,
  { limit, timeoutMs, signal }: { limit: number; timeoutMs: number; signal?: AbortSignal },
): Promise<{ response: Response; body: Buffer }> {
  const stop = new AbortController();
  const signals = [AbortSignal.timeout(timeoutMs), stop.signal, ...(signal === undefined ? [] : [signal])];
  const response = await fetch(url, { ...init, signal: AbortSignal.any(signals) });
  return { response, body: await readBodyWithin(response, url, limit, () => stop.abort()) };
}
