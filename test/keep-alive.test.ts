import assert from "node:assert/strict";
import http from "node:http";

import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { closedConnectionCode, isRetriedMethod } from "../src/chain/keep-alive.js";
import { useConnection, type FlaiConnection } from "../src/connection.js";
import { isFlaiError } from "../src/errors.js";
import { listenLoopback } from "./helpers/net.js";
import { errorOf, tempProject } from "./helpers/project.js";

/** The node closes an idle connection after this long (and Node's extra buffer is turned off). */
const KEEP_ALIVE_MS = 100;
/** A synchronous step longer than the keep-alive: the node's close arrives while the thread is busy. */
const BUSY_MS = 4 * KEEP_ALIVE_MS;

interface RpcNode {
  url: string;
  /** JSON-RPC methods received, in order. */
  received: string[];
  close(): Promise<void>;
}

/**
 * A JSON-RPC node on 127.0.0.1 that closes idle connections after KEEP_ALIVE_MS while advertising a
 * longer keep-alive (as a proxy in front of a public RPC may): the client's pool keeps the connection,
 * so its own timer never drops it first. `reset(n)` says whether the n-th request (from 1) is answered
 * with a TCP reset instead of a response.
 */
async function rpcNode(reset: (n: number) => boolean = () => false): Promise<RpcNode> {
  const received: string[] = [];
  const server = http.createServer((req, res) => {
    let body = "";
    req.on("data", (chunk) => (body += chunk));
    req.on("end", () => {
      const { id, method } = JSON.parse(body) as { id: number; method: string };
      received.push(method);
      if (reset(received.length)) {
        req.socket.resetAndDestroy();
        return;
      }
      res.setHeader("Content-Type", "application/json");
      res.setHeader("Keep-Alive", "timeout=60");
      res.end(JSON.stringify({ jsonrpc: "2.0", id, result: method === "eth_sendRawTransaction" ? "0x" + "ab".repeat(32) : "0x1" }));
    });
  });
  server.keepAliveTimeout = KEEP_ALIVE_MS;
  // Node 24 waits keepAliveTimeout + this buffer before closing; the test wants the close on time.
  (server as { keepAliveTimeoutBuffer?: number }).keepAliveTimeoutBuffer = 0;
  const listening = await listenLoopback(server);
  return { ...listening, received };
}

async function runtimeOn(node: RpcNode): Promise<HardhatRuntimeEnvironment> {
  const { hre } = await tempProject({ networks: { rpc: { type: "http", url: node.url, accounts: [] } } }, { network: "rpc" });
  return hre;
}

/** Keeps the thread busy without yielding, as a long parse or training step on the main thread does. */
function busy(ms: number): void {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    // spin
  }
}

/**
 * Each cycle: a request (the connection goes idle in the pool), a busy step, then `method` (a raw
 * transaction is never sent twice, so only a request that went out on a live connection succeeds).
 */
async function cyclesAfterBusySteps(connection: FlaiConnection, cycles: number, method = "eth_sendRawTransaction"): Promise<string[]> {
  const outcomes: string[] = [];
  for (let i = 0; i < cycles; i++) {
    await connection.provider.request({ method: "eth_blockNumber" });
    busy(BUSY_MS);
    try {
      await connection.provider.request({ method, params: method === "eth_sendRawTransaction" ? ["0x02"] : [] });
      outcomes.push("ok");
    } catch (error) {
      outcomes.push((error as Error).message);
    }
  }
  return outcomes;
}

describe("requests to an HTTP node after a long synchronous step (keep-alive)", function () {
  this.timeout(60_000);

  it("without the plugin's hook, Hardhat's provider fails on the connection the node closed (the bug this guards)", async () => {
    const node = await rpcNode();
    try {
      const hre = await runtimeOn(node);
      // A connection the plugin never touched: no hook registered on this runtime.
      const connection = await hre.network.create();
      const outcomes = await cyclesAfterBusySteps(connection, 4);
      assert.ok(
        outcomes.some((o) => o !== "ok"),
        `expected the reused idle connection to fail at least once, got ${JSON.stringify(outcomes)}`,
      );
    } finally {
      await node.close();
    }
  });

  it("through the plugin's connection, a transaction (never re-sent) after a busy step longer than the keep-alive succeeds", async () => {
    const node = await rpcNode();
    try {
      const hre = await runtimeOn(node);
      const connection = await useConnection(hre);
      assert.deepEqual(await cyclesAfterBusySteps(connection, 4), ["ok", "ok", "ok", "ok"]);
      assert.deepEqual(node.received, Array(4).fill(["eth_blockNumber", "eth_sendRawTransaction"]).flat());
    } finally {
      await node.close();
    }
  });

  it("through the plugin's connection, reads after busy steps succeed", async () => {
    const node = await rpcNode();
    try {
      const connection = await useConnection(await runtimeOn(node));
      assert.deepEqual(await cyclesAfterBusySteps(connection, 2, "eth_chainId"), ["ok", "ok"]);
    } finally {
      await node.close();
    }
  });

  it("a read reset under the request is sent once more, on a new connection", async () => {
    const node = await rpcNode((n) => n === 2);
    try {
      const connection = await useConnection(await runtimeOn(node));
      await connection.provider.request({ method: "eth_blockNumber" });
      assert.equal(await connection.provider.request({ method: "eth_getBalance", params: ["0x" + "11".repeat(20), "latest"] }), "0x1");
      assert.deepEqual(node.received, ["eth_blockNumber", "eth_getBalance", "eth_getBalance"]);
    } finally {
      await node.close();
    }
  });

  it("a raw transaction reset under the request is not sent again: a flaiError names the network, node and method", async () => {
    const node = await rpcNode((n) => n === 2);
    try {
      const connection = await useConnection(await runtimeOn(node));
      await connection.provider.request({ method: "eth_blockNumber" });
      const error = await errorOf(() => connection.provider.request({ method: "eth_sendRawTransaction", params: ["0x02"] }));
      assert.ok(isFlaiError(error), String(error));
      assert.match(error.message, /Network "rpc" \(http:\/\/127\.0\.0\.1:\d+\)/);
      assert.match(error.message, /closed the connection under the request \((ECONNRESET|UND_ERR_SOCKET|EPIPE)\) while answering eth_sendRawTransaction/);
      assert.match(error.message, /networks\.rpc/);
      assert.deepEqual(node.received, ["eth_blockNumber", "eth_sendRawTransaction"]);
    } finally {
      await node.close();
    }
  });

  it("a node that resets every request: the read is tried twice, then a flaiError says so", async () => {
    const node = await rpcNode((n) => n > 1);
    try {
      const connection = await useConnection(await runtimeOn(node));
      await connection.provider.request({ method: "eth_blockNumber" });
      const error = await errorOf(() => connection.provider.request({ method: "eth_chainId" }));
      assert.ok(isFlaiError(error), String(error));
      assert.match(error.message, /Network "rpc".*while answering eth_chainId after a first attempt failed the same way/);
      assert.deepEqual(node.received, ["eth_blockNumber", "eth_chainId", "eth_chainId"]);
    } finally {
      await node.close();
    }
  });

  it("a node that is gone: the request fails at once with a flaiError naming the network and its node", async () => {
    const node = await rpcNode();
    const connection = await useConnection(await runtimeOn(node));
    await connection.provider.request({ method: "eth_blockNumber" });
    await node.close();
    const error = await errorOf(() => connection.provider.request({ method: "eth_blockNumber" }));
    assert.ok(isFlaiError(error), String(error));
    assert.match(error.message, /Network "rpc" \(http:\/\/127\.0\.0\.1:\d+\): the node refused the connection while answering eth_blockNumber\./);
    assert.match(error.message, /Check that the node is running/);
    assert.deepEqual(node.received, ["eth_blockNumber"]);
  });

  it("decides by error codes and method names, not by messages", () => {
    assert.equal(closedConnectionCode(new Error("Failed to make POST request", { cause: Object.assign(new Error("x"), { code: "ECONNRESET" }) })), "ECONNRESET");
    assert.equal(closedConnectionCode(new Error("read ECONNRESET")), undefined);
    assert.equal(closedConnectionCode(Object.assign(new Error("refused"), { code: "ECONNREFUSED" })), undefined);
    assert.equal(isRetriedMethod("eth_call"), true);
    assert.equal(isRetriedMethod("net_version"), true);
    assert.equal(isRetriedMethod("eth_sendTransaction"), false);
    assert.equal(isRetriedMethod("eth_sendRawTransaction"), false);
    assert.equal(isRetriedMethod("evm_mine"), false);
    assert.equal(isRetriedMethod("hardhat_setBalance"), false);
  });
});
