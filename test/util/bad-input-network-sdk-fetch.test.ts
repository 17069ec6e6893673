import http from "node:http";

import { expect } from "chai";

import { explainMarketError } from "../../src/market/errors.js";
import { cappedFetch, isResponseTimedOut, SDK_ANSWER_LIMIT_BYTES } from "../../src/util/capped-fetch.js";
import { isResponseTooLarge } from "../../src/util/http-body.js";

import { expectFlaiError } from "../helpers/assert.js";
import { listenLoopback } from "../helpers/net.js";

// Issue 15: "every network read has a size limit and an abort that really stops the transfer" — for
// the 0G compute SDK's own reads too. The bundle routes the SDK's global fetch to cappedFetch (see
// test/market/bad-input-network-sdk.test.ts for the real SDK paths); here the fetch itself, against a real
// loopback server: an answer that never completes is cut at the timeout, and the socket closed.

type Answer = (res: http.ServerResponse) => void;

interface StallServer {
  url: string;
  /** Answers whose connection closed before the server ended them. */
  closed: number;
  close(): Promise<void>;
}

async function serve(answer: Answer): Promise<StallServer> {
  const state = { closed: 0 };
  const server = http.createServer((req, res) => {
    req.resume();
    res.on("close", () => {
      if (!res.writableFinished) state.closed++;
    });
    answer(res);
  });
  const listening = await listenLoopback(server);
  return Object.assign(state, { url: listening.url, close: listening.close });
}

async function sawClose(server: StallServer) {
  for (let i = 0; i < 50 && server.closed === 0; i++) await new Promise((resolve) => setTimeout(resolve, 20));
  expect(server.closed, "the server saw the connection close").to.equal(1);
}

/** What `promise` rejected with (fails the test if it resolved). */
async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  return expect.fail("expected a rejection");
}

describe("bad input (issue 15): the compute SDK's fetch is capped in size and time", () => {
  let server: StallServer | undefined;
  afterEach(async () => server?.close());

  it("headers and part of a body, then silence: stopped at the timeout, the socket closed, a plugin error naming the URL and the time", async () => {
    server = await serve((res) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.write('{"unsettledFee":"1');
    });
    const started = Date.now();
    const error = await rejection(cappedFetch(SDK_ANSWER_LIMIT_BYTES, 300)(`${server.url}/v1/user/0xabc/unsettledfee`));
    expect(Date.now() - started).to.be.below(5_000);
    expect(isResponseTimedOut(error), String(error)).to.equal(true);
    await sawClose(server);
    const explained = await expectFlaiError(
      () => {
        throw explainMarketError(error, "generating auth headers");
      },
      `${server.url}/v1/user/0xabc/unsettledfee`,
      "within 0.3 s",
      "generating auth headers",
      "the transfer was stopped",
    );
    expect(explained.message.length).to.be.below(600);
  });

  it("no headers at all: stopped at the timeout too", async () => {
    server = await serve(() => undefined);
    const error = await rejection(cappedFetch(SDK_ANSWER_LIMIT_BYTES, 300)(`${server.url}/v1/quote`));
    expect(isResponseTimedOut(error), String(error)).to.equal(true);
    await sawClose(server);
  });

  it("a declared Content-Length past the limit, trickled: refused before the body is read, the socket closed", async () => {
    server = await serve((res) => {
      res.writeHead(200, { "content-type": "application/json", "content-length": String(50 * 1024 ** 3) });
      res.write("{");
    });
    const error = await rejection(cappedFetch(1024, 60_000)(`${server.url}/v1/proxy/signature/x`));
    expect(isResponseTooLarge(error), String(error)).to.equal(true);
    await sawClose(server);
  });

  it("what the SDK legitimately reads passes unchanged: status, headers and body; an error status's body too", async () => {
    server = await serve((res) => {
      res.writeHead(404, { "content-type": "application/json", "zg-res-key": "k1" });
      res.end('{"error":"no such chat"}');
    });
    const response = await cappedFetch(SDK_ANSWER_LIMIT_BYTES, 5_000)(`${server.url}/v1/proxy/signature/x`, { method: "GET" });
    expect(response.status).to.equal(404);
    expect(response.ok).to.equal(false);
    expect(response.headers.get("zg-res-key")).to.equal("k1");
    expect(await response.json()).to.deep.equal({ error: "no such chat" });
  });

  it("a 204 answer (no body) passes as one", async () => {
    server = await serve((res) => {
      res.writeHead(204);
      res.end();
    });
    const response = await cappedFetch(SDK_ANSWER_LIMIT_BYTES, 5_000)(`${server.url}/v1/ping`);
    expect(response.status).to.equal(204);
    expect(await response.text()).to.equal("");
  });

  it("the caller's own abort stays the caller's: not reported as a timeout", async () => {
    server = await serve(() => undefined);
    const error = await rejection(
      cappedFetch(SDK_ANSWER_LIMIT_BYTES, 60_000)(`${server.url}/v1/quote`, { signal: AbortSignal.timeout(100) }),
    );
    expect(isResponseTimedOut(error)).to.equal(false);
    expect((error as Error).name).to.equal("TimeoutError");
    await sawClose(server);
  });
});
