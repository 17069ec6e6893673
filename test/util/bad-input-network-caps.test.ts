import http from "node:http";

import { expect } from "chai";

import { callRpc } from "../../src/devnet/storage/rpc.js";
import { isFlaiError } from "../../src/errors.js";
import { fetchResponseSignature } from "../../src/market/exchange.js";
import { EvmRpc, postJsonRpc } from "../../src/storage/evm-rpc.js";
import { ZeroGStorage } from "../../src/storage/zerog.js";
import { expectFlaiError } from "../helpers/assert.js";
import { listenLoopback } from "../helpers/net.js";

// Issue 15: "a 200 MB JSON-RPC body" — our servers cap what they read (README row 93); our clients
// read any answer whole. Now every JSON-RPC answer we read is capped (64 MiB; 4 MiB from a storage
// node), and past the cap the request is aborted, so the socket closes and the transfer stops.

interface EndlessServer {
  url: string;
  requests: number;
  /** Answers whose connection closed before the server stopped sending. */
  closed: number;
  bytesSent: number;
  close(): Promise<void>;
}

/** A loopback HTTP server answering every POST with an endless chunked JSON string. */
async function endlessServer(): Promise<EndlessServer> {
  const state = { requests: 0, closed: 0, bytesSent: 0 };
  const block = Buffer.alloc(256 * 1024, 0x61);
  const server = http.createServer((req, res) => {
    state.requests++;
    req.resume();
    req.on("end", () => {
      res.writeHead(200, { "content-type": "application/json" });
      res.write('{"jsonrpc":"2.0","id":1,"result":"');
      res.on("close", () => state.closed++);
      const pump = () => {
        while (!res.destroyed) {
          state.bytesSent += block.length;
          if (!res.write(block)) return void res.once("drain", pump);
        }
      };
      pump();
    });
  });
  const listening = await listenLoopback(server);
  return Object.assign(state, { url: listening.url, close: listening.close });
}

describe("bad input (issue 15): network answers are read up to a limit, then the transfer is stopped", () => {
  let server: EndlessServer;
  beforeEach(async () => {
    server = await endlessServer();
  });
  afterEach(async () => {
    await server.close();
  });

  /** The server saw its one connection close, having sent little past `limit`. */
  async function stoppedNear(limit: number) {
    for (let i = 0; i < 50 && server.closed === 0; i++) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(server.closed, "the server saw the connection close").to.equal(1);
    expect(server.bytesSent, "bytes sent before the close").to.be.below(limit + 32 * 1024 * 1024);
  }

  it("a JSON-RPC answer past 64 MiB: an error naming the URL, the method and the limit; the socket closed", async () => {
    const error = await expectFlaiError(
      () => postJsonRpc(server.url, { jsonrpc: "2.0", id: 1, method: "eth_getLogs", params: [] }, 30_000),
      server.url,
      "eth_getLogs",
      "64 MiB",
      "the transfer was stopped",
    );
    expect(error.message.length).to.be.below(600);
    await stoppedNear(64 * 1024 * 1024);
  });

  it("the EVM RPC the SDK reads fees through: the same error, and an oversized answer is not retried", async () => {
    await expectFlaiError(() => EvmRpc.connect(server.url, { attemptTimeoutMs: 30_000, retries: 3 }), server.url, "eth_chainId", "64 MiB");
    await stoppedNear(64 * 1024 * 1024);
    expect(server.requests).to.equal(1);
  });

  it("an indexer answering indexer_getFileLocations endlessly: named, with the limit, not retried", async () => {
    const storage = new ZeroGStorage({
      indexerUrl: server.url,
      evmRpc: async () => server.url,
      signer: async () => {
        throw new Error("no uploads here");
      },
      timeoutSeconds: 30,
      retries: 3,
    });
    await expectFlaiError(() => storage.has("0x" + "ab".repeat(32)), server.url, "indexer_getFileLocations", "64 MiB");
    await stoppedNear(64 * 1024 * 1024);
    expect(server.requests).to.equal(1);
  });

  it("the devnet indexer's calls to a node (callRpc): cut off at 4 MiB with the connection", async () => {
    let thrown: unknown;
    await callRpc(server.url, "zgs_getStatus", [], 30_000).catch((error: unknown) => (thrown = error));
    expect(thrown).to.be.instanceOf(Error);
    expect(isFlaiError(thrown)).to.equal(false); // a transport failure to the indexer, which answers its own error
    expect((thrown as Error).message)
      .to.contain("zgs_getStatus")
      .and.contain(String(4 * 1024 * 1024));
    await stoppedNear(4 * 1024 * 1024);
  });

  it("a provider's response-signature document past 1 MiB: cut off, the answer called unverified", async () => {
    const service = {
      url: server.url,
      model: "m",
      teeSignerAddress: "0x" + "00".repeat(20),
      teeSignerAcknowledged: true,
      additionalInfo: "",
    };
    await expectFlaiError(() => fetchResponseSignature(service, "chat-1"), server.url, "over 1 MiB, cut off", "unverified");
    await stoppedNear(1024 * 1024);
  });

  it("a small answer still reads whole (the limit is not a truncation)", async () => {
    const small = http.createServer((req, res) => {
      req.resume();
      req.on("end", () => res.end(JSON.stringify({ jsonrpc: "2.0", id: 1, result: "x".repeat(1_000_000) })));
    });
    const listening = await listenLoopback(small);
    try {
      const answer = await postJsonRpc<{ result: string }>(listening.url, { jsonrpc: "2.0", id: 1, method: "m" }, 30_000, {
        maxBytes: 2_000_000,
      });
      expect(answer.result.length).to.equal(1_000_000);
    } finally {
      await listening.close();
    }
  });
});
