import http from "node:http";
import type { AddressInfo } from "node:net";

import type { EIP1193Provider } from "hardhat/types/providers";

import { readBodyWithin, rejectTooLarge } from "../util/body-limit.js";

/** Largest JSON-RPC request the bridge reads: far above a contract deployment, far below memory trouble. */
export const MAX_CHAIN_REQUEST_BYTES = 16 * 1024 * 1024;

interface RpcRequest {
  id?: unknown;
  method: string;
  params?: unknown[];
}

const toJson = (value: unknown) => JSON.stringify(value, (_k, v: unknown) => (typeof v === "bigint" ? "0x" + v.toString(16) : v));

async function answer(provider: EIP1193Provider, req: RpcRequest): Promise<object> {
  try {
    return { jsonrpc: "2.0", id: req.id ?? null, result: await provider.request({ method: req.method, params: req.params ?? [] }) };
  } catch (error) {
    const e = error as { code?: number; message?: string; data?: unknown };
    return { jsonrpc: "2.0", id: req.id ?? null, error: { code: e.code ?? -32603, message: e.message ?? String(error), data: e.data } };
  }
}

/** Answers one request or batch; requests of one batch run in order. */
async function respond(provider: EIP1193Provider, res: http.ServerResponse, raw: Buffer): Promise<void> {
  let body: RpcRequest | RpcRequest[];
  try {
    body = JSON.parse(raw.toString("utf8")) as RpcRequest | RpcRequest[];
  } catch {
    res.end(toJson({ jsonrpc: "2.0", id: null, error: { code: -32700, message: "Parse error" } }));
    return;
  }
  // Requests of one batch run in order: they may depend on each other (nonce, then send).
  let reply: object | object[];
  if (Array.isArray(body)) {
    const replies: object[] = [];
    for (const r of body) {
      replies.push(await answer(provider, r));
    }
    reply = replies;
  } else {
    reply = await answer(provider, body);
  }
  res.setHeader("content-type", "application/json");
  res.end(toJson(reply));
}

/**
 * Serves an in-process chain over JSON-RPC HTTP on loopback, so tools that only take an RPC URL
 * (the 0G storage SDK builds its own JsonRpcProvider) can use Hardhat's simulated network. Handles
 * ethers' batched requests.
 */
export async function serveChain(
  provider: EIP1193Provider,
  {
    host = "127.0.0.1",
    port = 0,
    keepAlive = true,
    maxBodyBytes = MAX_CHAIN_REQUEST_BYTES,
  }: { host?: string; port?: number; keepAlive?: boolean; maxBodyBytes?: number } = {},
): Promise<{ url: string; close: () => Promise<void> }> {
  const server = http.createServer((req, res) => {
    void readBodyWithin(req, maxBodyBytes).then(
      (raw) => {
        if (raw === undefined) {
          rejectTooLarge(res, maxBodyBytes);
          return;
        }
        void respond(provider, res, raw);
      },
      () => res.destroy(),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, resolve);
  });
  if (!keepAlive) {
    // A helper for this process's own SDK calls must not keep the process running: neither its
    // listening socket nor the keep-alive connections clients leave open (Node holds an idle
    // server-side connection for keepAliveTimeout, 5 s, after the last request). A request in
    // flight still keeps the process alive through the client's own socket.
    server.unref();
    server.on("connection", (socket) => socket.unref());
  }
  const { port: bound } = server.address() as AddressInfo;
  return {
    url: `http://${host}:${bound}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
