import type http from "node:http";

/**
 * Reads a request body of at most `limit` bytes (issue 15: a 200 MB JSON-RPC body must not be held in
 * memory). Resolves with the body, or with `undefined` once the limit is passed: the caller then
 * answers at once (413) with `Connection: close`; the rest of the body is drained without being kept,
 * so memory stays bounded by `limit` and the client still reads the answer instead of a reset.
 */
export function readBodyWithin(req: http.IncomingMessage, limit: number): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    const declared = Number(req.headers["content-length"]);
    if (Number.isFinite(declared) && declared > limit) {
      over = true;
      req.resume();
      resolve(undefined);
      return;
    }
    req.on("data", (chunk: Buffer) => {
      if (over) return;
      size += chunk.length;
      if (size <= limit) {
        chunks.push(chunk);
        return;
      }
      over = true;
      chunks.length = 0;
      resolve(undefined);
    });
    req.on("end", () => {
      if (!over) resolve(Buffer.concat(chunks));
    });
    req.on("error", reject);
  });
}

/** Sends a 413 whose body is a JSON-RPC error (clients of our RPC servers parse JSON) and closes the connection. */
export function rejectTooLarge(res: http.ServerResponse, limit: number, body?: unknown): void {
  if (res.headersSent || res.destroyed) return;
  const message = `Request body over ${limit} bytes: this server reads at most that much. Send smaller requests (split a batch).`;
  res.writeHead(413, { "content-type": "application/json", connection: "close" });
  res.end(JSON.stringify(body ?? { jsonrpc: "2.0", id: null, error: { code: -32600, message } }));
}
