import http from "node:http";
import type { AddressInfo } from "node:net";

import { expect } from "chai";
import type { EIP1193Provider } from "hardhat/types/providers";

import { serveChain } from "../../src/chain/chain-server.js";
import { readBody } from "../../src/devnet/compute/http.js";
import { startRpcServer } from "../../src/devnet/storage/rpc.js";

// A valid JSON-RPC request padded with whitespace past the limit: without a cap it would be answered.
const padded = (bytes: number) => JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_chainId", params: [] }) + " ".repeat(bytes);

/** Sends `body` as a stream of 64 KiB chunks with no Content-Length, as a client that does not announce its size. */
async function postStreamed(url: string, body: string): Promise<Response> {
  const bytes = new TextEncoder().encode(body);
  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      for (let at = 0; at < bytes.length; at += 65536) controller.enqueue(bytes.subarray(at, at + 65536));
      controller.close();
    },
  });
  return fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: stream, duplex: "half" });
}

describe("bad input (issue 15): our servers cap request bodies and say so", () => {
  const closers: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const close of closers.splice(0)) await close();
  });

  it("the devnet chain bridge answers an over-long JSON-RPC body with 413 and a JSON-RPC error, announced or streamed", async () => {
    const provider = { request: async () => "0x7a69" } as unknown as EIP1193Provider;
    const chain = await serveChain(provider, { maxBodyBytes: 4096 });
    closers.push(chain.close);
    const small = await fetch(chain.url, { method: "POST", body: padded(10) });
    expect(((await small.json()) as { result: string }).result).to.equal("0x7a69");
    for (const response of [
      await fetch(chain.url, { method: "POST", body: padded(1 << 20) }),
      await postStreamed(chain.url, padded(1 << 20)),
    ]) {
      expect(response.status).to.equal(413);
      const reply = (await response.json()) as { error: { code: number; message: string } };
      expect(reply.error.code).to.equal(-32600);
      expect(reply.error.message).to.contain("over 4096 bytes");
    }
  });

  it("a storage node answers an over-long body with 413 at its limit (default now 32 MiB, not 256 MiB)", async () => {
    const methods = new Map([["zgs_getStatus", async () => ({ ok: true })]]);
    const node = await startRpcServer(methods, { host: "127.0.0.1", port: 0, maxBodyBytes: 4096 });
    closers.push(() => node.close());
    const response = await postStreamed(node.url, padded(1 << 20));
    expect(response.status).to.equal(413);
    expect(((await response.json()) as { error: { message: string } }).error.message).to.contain("over 4096 bytes");
    const big = await startRpcServer(methods, { host: "127.0.0.1", port: 0 });
    closers.push(() => big.close());
    const tooBig = await fetch(big.url, { method: "POST", body: padded(33 * 1024 * 1024) });
    expect(tooBig.status).to.equal(413);
  });

  it("the compute provider's body reader rejects past 1 MiB with a 413 the client can read, not a connection reset", async () => {
    const server = http.createServer((req, res) => {
      readBody(req).then(
        () => res.end("{}"),
        (error: { status: number; message: string }) => {
          res.writeHead(error.status, { "content-type": "application/json" });
          res.end(JSON.stringify({ error: error.message }));
        },
      );
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    closers.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const response = await postStreamed(url, padded(3 << 20));
    expect(response.status).to.equal(413);
    expect(((await response.json()) as { error: string }).error).to.contain("send a smaller request");
  });
});
