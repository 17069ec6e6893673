import http from "node:http";
import type { AddressInfo } from "node:net";

import { MAX_NODE_ANSWER_BYTES, isResponseTooLarge, readBodyWithin } from "../../util/http-body.js";
import { readBodyWithin as readRequestWithin, rejectTooLarge } from "../../util/body-limit.js";
import { RpcError } from "../../storage/rpc-error.js";

/**
 * JSON-RPC 2.0 over HTTP the way the 0G storage node (jsonrpsee) answers: every reply is HTTP 200,
 * errors are `{code, message, data?}` in the body, batches (arrays) get arrays back, `id` is echoed
 * as sent (the SDK's ids are floats).
 */

export { badParams, callFailed, internalError, invalidParams, RpcError } from "../../storage/rpc-error.js";

export type Handler = (params: unknown[]) => Promise<unknown> | unknown;

interface Request {
  jsonrpc?: unknown;
  id?: unknown;
  method?: unknown;
  params?: unknown;
}

/** A plain HTTP answer (the indexer's REST gateway). */
export interface HttpReply {
  status: number;
  headers: Record<string, string>;
  body: string | Uint8Array;
}

export interface RpcServerOptions {
  host: string;
  port: number;
  /** The real node accepts large uploads; a bound still keeps a stray client from exhausting memory. */
  maxBodyBytes?: number;
  /** Answers GET requests (the indexer serves its REST gateway beside JSON-RPC on one port). */
  get?: (url: URL) => Promise<HttpReply>;
}

export interface RpcServer {
  url: string;
  close(): Promise<void>;
}

async function answer(methods: ReadonlyMap<string, Handler>, request: unknown): Promise<object | undefined> {
  if (request === null || typeof request !== "object" || Array.isArray(request)) {
    return { jsonrpc: "2.0", id: null, error: { code: -32600, message: "Invalid request" } };
  }
  const { id, method, params } = request as Request;
  const echo = id ?? null;
  if (typeof method !== "string") return { jsonrpc: "2.0", id: echo, error: { code: -32600, message: "Invalid request" } };
  const handler = methods.get(method);
  let reply: object;
  if (handler === undefined) {
    reply = { jsonrpc: "2.0", id: echo, error: { code: -32601, message: "Method not found" } };
  } else if (params !== undefined && params !== null && !Array.isArray(params)) {
    reply = { jsonrpc: "2.0", id: echo, error: { code: -32602, message: "Invalid params", data: "params must be an array" } };
  } else {
    try {
      reply = { jsonrpc: "2.0", id: echo, result: (await handler((params as unknown[] | undefined) ?? [])) ?? null };
    } catch (error) {
      const e =
        error instanceof RpcError ? error : new RpcError(-32603, "Internal error", error instanceof Error ? error.message : String(error));
      reply = {
        jsonrpc: "2.0",
        id: echo,
        error: e.data === undefined ? { code: e.code, message: e.message } : { code: e.code, message: e.message, data: e.data },
      };
    }
  }
  // A request without an id is a notification: it runs but gets no reply.
  return id === undefined ? undefined : reply;
}

function serveGet(get: (url: URL) => Promise<HttpReply>, req: http.IncomingMessage, res: http.ServerResponse): void {
  get(new URL(req.url ?? "/", "http://localhost"))
    .then((reply) => {
      res.writeHead(reply.status, reply.headers);
      res.end(reply.body);
    })
    .catch((error: unknown) => {
      if (!res.headersSent) res.writeHead(500, { "content-type": "text/plain" });
      res.end(error instanceof Error ? error.message : String(error));
    });
}

/**
 * One JSON-RPC call to a node, as the indexer makes it: the node's error comes back as an RpcError
 * with its code, a transport failure (node down, timeout, an answer over `maxBytes`, which closes the
 * connection) as a plain Error.
 */
export async function callRpc<T>(
  url: string,
  method: string,
  params: unknown[],
  timeoutMs: number,
  maxBytes = MAX_NODE_ANSWER_BYTES,
): Promise<T> {
  const stop = new AbortController();
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }),
    signal: AbortSignal.any([AbortSignal.timeout(timeoutMs), stop.signal]),
  });
  let raw: Buffer;
  try {
    raw = await readBodyWithin(response, url, maxBytes, () => stop.abort());
  } catch (error) {
    if (isResponseTooLarge(error)) throw new Error(`${url} answered ${method} with more than ${maxBytes} bytes`, { cause: error });
    throw error;
  }
  const body = JSON.parse(raw.toString("utf8")) as { result?: T; error?: { code: number; message: string; data?: unknown } };
  if (body.error !== undefined) throw new RpcError(body.error.code, body.error.message, body.error.data);
  return body.result as T;
}

export async function startRpcServer(methods: ReadonlyMap<string, Handler>, opts: RpcServerOptions): Promise<RpcServer> {
  // A node's largest legitimate request is a batch of segments (the SDK sends ~10 × 256 KiB, base64).
  const maxBody = opts.maxBodyBytes ?? 32 * 1024 * 1024;
  const server = http.createServer((req, res) => {
    if (req.method === "GET" && opts.get !== undefined) {
      serveGet(opts.get, req, res);
      return;
    }
    void readRequestWithin(req, maxBody).then(
      (raw) => {
        if (raw === undefined) rejectTooLarge(res, maxBody);
        else dispatch(raw);
      },
      () => res.destroy(),
    );
    const dispatch = (raw: Buffer) => {
      void (async () => {
        const send = (body: unknown) => {
          res.writeHead(200, { "content-type": "application/json" });
          res.end(body === undefined ? "" : JSON.stringify(body));
        };
        let body: unknown;
        try {
          body = JSON.parse(raw.toString("utf8"));
        } catch {
          send({ jsonrpc: "2.0", id: null, error: { code: -32700, message: "Parse error" } });
          return;
        }
        if (Array.isArray(body)) {
          if (body.length === 0) {
            send({ jsonrpc: "2.0", id: null, error: { code: -32600, message: "Invalid request" } });
            return;
          }
          const replies = (await Promise.all(body.map((r) => answer(methods, r)))).filter((r) => r !== undefined);
          send(replies.length > 0 ? replies : undefined);
        } else {
          send(await answer(methods, body));
        }
      })().catch(() => {
        if (!res.headersSent) res.writeHead(200, { "content-type": "application/json" });
        res.end(JSON.stringify({ jsonrpc: "2.0", id: null, error: { code: -32603, message: "Internal error" } }));
      });
    };
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port, opts.host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const host = opts.host.includes(":") ? `[${opts.host}]` : opts.host;
  return {
    url: `http://${host}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
