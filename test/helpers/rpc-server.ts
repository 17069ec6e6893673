import http from "node:http";
import type { AddressInfo } from "node:net";

import type { EIP1193Provider } from "hardhat/types/providers";

/**
 * Serves an in-process EDR chain over real JSON-RPC HTTP on 127.0.0.1, so a test can use it the way
 * a user uses `npx hardhat node`: a persistent chain reached through an `http` network.
 */
export async function serveChain(provider: EIP1193Provider): Promise<{ url: string; close: () => Promise<void> }> {
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", async () => {
      const body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as { id: unknown; method: string; params?: unknown[] };
      let reply: object;
      try {
        reply = { jsonrpc: "2.0", id: body.id, result: await provider.request({ method: body.method, params: body.params }) };
      } catch (error) {
        const e = error as { code?: number; message: string; data?: unknown };
        reply = { jsonrpc: "2.0", id: body.id, error: { code: e.code ?? -32603, message: e.message, data: e.data } };
      }
      res.setHeader("content-type", "application/json");
      res.end(JSON.stringify(reply, (_k, v: unknown) => (typeof v === "bigint" ? "0x" + v.toString(16) : v)));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
