import type http from "node:http";

import { readBodyWithin } from "../../util/body-limit.js";
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

/**
 * The body, at most MAX_BODY bytes. Past that the request is rejected with 413 while the rest is
 * drained unkept (destroying the socket instead would hide the 413 behind a connection reset).
 */
export async function readBody(req: http.IncomingMessage): Promise<Buffer> {
  const body = await readBodyWithin(req, MAX_BODY);
  if (body === undefined) throw new ProviderRejection(413, `request body over ${MAX_BODY} bytes; send a smaller request`);
  return body;
}

/** `json` is sent as is when it is already a string (a signed body must go out byte for byte). */
export function reply(res: http.ServerResponse, status: number, json: unknown, headers: Record<string, string> = {}): void {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(status, { "content-type": "application/json", ...headers });
  res.end(typeof json === "string" ? json : JSON.stringify(json));
}
