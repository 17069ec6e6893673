import type http from "node:http";

import { ProviderRejection } from "./session-token.js";

const MAX_BODY = 1024 * 1024;

export function parseJson(body: Buffer): unknown {
  try {
    const doc = JSON.parse(body.toString("utf8")) as unknown;
    if (typeof doc === "object" && doc !== null && !Array.isArray(doc)) return doc;
  } catch {
    // reported below
  }
  throw new ProviderRejection(400, "the request body must be a JSON object (an OpenAI chat completion request)");
}

export function readBody(req: http.IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY) {
        reject(new ProviderRejection(413, `request body over ${MAX_BODY} bytes`));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

/** `json` is sent as is when it is already a string (a signed body must go out byte for byte). */
export function reply(res: http.ServerResponse, status: number, json: unknown, headers: Record<string, string> = {}): void {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(status, { "content-type": "application/json", ...headers });
  res.end(typeof json === "string" ? json : JSON.stringify(json));
}
