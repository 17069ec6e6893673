import http from "node:http";

import { listenLoopback } from "./net.js";

/** How the proxy fails a request: a TCP reset, an HTTP 503, or no answer at all (until closed). */
export type ProxyFault = "reset" | "503" | "hang";

export interface FlakyProxyOptions {
  fault: ProxyFault;
  /** Fail this many requests (that `matches`), then forward everything; Infinity: never recover. */
  failFirst: number;
  /** Which requests count towards `failFirst` and may fail (default: every request). */
  matches?: (body: string) => boolean;
  /** Let this many matching requests through before failing any (default 0). */
  passFirst?: number;
}

export interface FlakyProxy {
  url: string;
  /** Requests received, and how many of them were failed. */
  readonly received: number;
  readonly failed: number;
  close(): Promise<void>;
}

/**
 * An HTTP JSON-RPC proxy in front of `target` that fails the first requests the way flaky networks
 * do (connection reset, 503 from a load balancer, a request that never gets an answer), then
 * forwards the rest unchanged.
 */
export async function startFlakyProxy(target: string, opts: FlakyProxyOptions): Promise<FlakyProxy> {
  let received = 0;
  let matched = 0;
  let failed = 0;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      received++;
      const body = Buffer.concat(chunks);
      const matches = opts.matches?.(body.toString("utf8")) ?? true;
      if (matches && ++matched > (opts.passFirst ?? 0) && failed < opts.failFirst) {
        failed++;
        if (opts.fault === "reset") {
          req.socket.resetAndDestroy();
        } else if (opts.fault === "503") {
          res.writeHead(503, { "content-type": "text/plain", connection: "close" });
          res.end("Service Unavailable");
        }
        // "hang": keep the request open and never answer; close() drops it.
        return;
      }
      fetch(target, { method: "POST", headers: { "content-type": req.headers["content-type"] ?? "application/json" }, body }).then(
        async (upstream) => {
          const text = Buffer.from(await upstream.arrayBuffer());
          res.writeHead(upstream.status, { "content-type": upstream.headers.get("content-type") ?? "application/json" });
          res.end(text);
        },
        () => req.socket.destroy(),
      );
    });
  });
  const listening = await listenLoopback(server);
  return {
    url: listening.url,
    get received() {
      return received;
    },
    get failed() {
      return failed;
    },
    close: () => listening.close(),
  };
}
