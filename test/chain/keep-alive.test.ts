import assert from "node:assert/strict";
import { Worker } from "node:worker_threads";

import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { closedConnectionCode, isRetriedMethod } from "../../src/chain/keep-alive.js";
import { useConnection, type FlaiConnection } from "../../src/chain/connection.js";
import { isFlaiError } from "../../src/errors.js";
import { errorOf, tempProject } from "../helpers/project.js";

/** The node closes an idle connection after this long (and Node's extra buffer is turned off). */
const KEEP_ALIVE_MS = 100;
/** A synchronous step longer than the keep-alive: the node's close arrives while the thread is busy. */
const BUSY_MS = 4 * KEEP_ALIVE_MS;

interface RpcNode {
  url: string;
  /** JSON-RPC methods the node received, in order. */
  received(): Promise<string[]>;
  /** Stops the node: its connections are dropped and its port refuses. */
  close(): Promise<void>;
}

interface Resets {
  /** Requests (numbered from 1) answered with a TCP reset instead of a response. */
  at?: number[];
  /** Every request from this one on is reset. */
  from?: number;
}

/*
 * The node runs in a worker thread, so that, like `hardhat node` or a remote RPC, its event loop
 * keeps going (and closes idle connections on time) while the test's thread is busy. It closes an
 * idle connection after KEEP_ALIVE_MS while advertising a longer keep-alive (as a proxy in front of a
 * public RPC may): the client's pool keeps the connection, its own timer never drops it first.
 */
const NODE_PROGRAM = `
const { parentPort, workerData } = require("node:worker_threads");
const http = require("node:http");
const { keepAliveMs, resets } = workerData;
const received = [];
const sockets = new Set();
const server = http.createServer((req, res) => {
  let body = "";
  req.on("data", (chunk) => (body += chunk));
  req.on("end", () => {
    const { id, method } = JSON.parse(body);
    received.push(method);
    const n = received.length;
    if ((resets.at ?? []).includes(n) || (resets.from !== undefined && n >= resets.from)) {
      req.socket.resetAndDestroy();
      return;
    }
    res.setHeader("Content-Type", "application/json");
    res.setHeader("Keep-Alive", "timeout=60");
    const result = method === "eth_sendRawTransaction" ? "0x" + "ab".repeat(32) : "0x1";
    res.end(JSON.stringify({ jsonrpc: "2.0", id, result }));
  });
});
server.on("connection", (socket) => {
  sockets.add(socket);
  socket.on("close", () => sockets.delete(socket));
});
server.keepAliveTimeout = keepAliveMs;
// Node 24 waits keepAliveTimeout + this buffer before closing; the test wants the close on time.
server.keepAliveTimeoutBuffer = 0;
server.listen(0, "127.0.0.1", () => parentPort.postMessage({ port: server.address().port }));
parentPort.on("message", (message) => {
  if (message === "received") parentPort.postMessage({ received });
  if (message === "close") {
    for (const socket of sockets) socket.destroy();
    server.close(() => parentPort.postMessage({ closed: true }));
  }
});
`;

async function rpcNode(resets: Resets = {}): Promise<RpcNode> {
  const worker = new Worker(NODE_PROGRAM, { eval: true, workerData: { keepAliveMs: KEEP_ALIVE_MS, resets } });
  const reply = <T>(key: string): Promise<T> =>
    new Promise((resolve, reject) => {
      const onMessage = (message: Record<string, unknown>) => {
        if (key in message) {
          worker.off("message", onMessage);
          resolve(message[key] as T);
        }
      };
      worker.on("message", onMessage);
      worker.once("error", reject);
    });
  const port = await reply<number>("port");
  return {
    url: `http://127.0.0.1:${port}`,
    received: async () => {
      const list = reply<string[]>("received");
      worker.postMessage("received");
      return await list;
    },
    close: async () => {
      const closed = reply<boolean>("closed");
      worker.postMessage("close");
      await closed;
      await worker.terminate();
    },
  };
}

async function runtimeOn(node: RpcNode): Promise<HardhatRuntimeEnvironment> {
  const { hre } = await tempProject({ networks: { rpc: { type: "http", url: node.url, accounts: [] } } }, { network: "rpc" });
  return hre;
}

/** Runs `test` through the plugin's connection to a fresh node that resets as `resets` says; the node is closed afterwards whatever happens. */
async function throughPlugin(resets: Resets, test: (connection: FlaiConnection, node: RpcNode) => Promise<void>): Promise<void> {
  const node = await rpcNode(resets);
  try {
    await test(await useConnection(await runtimeOn(node)), node);
  } finally {
    await node.close();
  }
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
    await throughPlugin({}, async (connection, node) => {
      assert.deepEqual(await cyclesAfterBusySteps(connection, 4), ["ok", "ok", "ok", "ok"]);
      assert.deepEqual(await node.received(), Array(4).fill(["eth_blockNumber", "eth_sendRawTransaction"]).flat());
    });
  });

  it("through the plugin's connection, reads after busy steps succeed", async () => {
    await throughPlugin({}, async (connection) => {
      assert.deepEqual(await cyclesAfterBusySteps(connection, 2, "eth_chainId"), ["ok", "ok"]);
    });
  });

  it("a transaction whose loop turn comes right after another callback's busy step still goes out on a live connection", async () => {
    await throughPlugin({}, async (connection) => {
      const outcomes: string[] = [];
      for (let i = 0; i < 4; i++) {
        await connection.provider.request({ method: "eth_blockNumber" });
        // Another part of the process is busy in a callback that runs just before the request's
        // loop turn (same check phase, queued first): the node's close comes after the last poll.
        setImmediate(() => busy(BUSY_MS));
        outcomes.push(
          await connection.provider.request({ method: "eth_sendRawTransaction", params: ["0x02"] }).then(
            () => "ok",
            (error: Error) => error.message,
          ),
        );
      }
      assert.deepEqual(outcomes, ["ok", "ok", "ok", "ok"]);
    });
  });

  it("a read reset under the request is sent once more, on a new connection", async () => {
    await throughPlugin({ at: [2] }, async (connection, node) => {
      await connection.provider.request({ method: "eth_blockNumber" });
      assert.equal(await connection.provider.request({ method: "eth_getBalance", params: ["0x" + "11".repeat(20), "latest"] }), "0x1");
      assert.deepEqual(await node.received(), ["eth_blockNumber", "eth_getBalance", "eth_getBalance"]);
    });
  });

  it("a raw transaction reset under the request is not sent again: a flaiError names the network, node and method", async () => {
    await throughPlugin({ at: [2] }, async (connection, node) => {
      await connection.provider.request({ method: "eth_blockNumber" });
      const error = await errorOf(() => connection.provider.request({ method: "eth_sendRawTransaction", params: ["0x02"] }));
      assert.ok(isFlaiError(error), String(error));
      assert.match(error.message, /Network "rpc" \(http:\/\/127\.0\.0\.1:\d+\)/);
      assert.match(
        error.message,
        /closed the connection under the request \((ECONNRESET|UND_ERR_SOCKET|EPIPE)\) while answering eth_sendRawTransaction/,
      );
      assert.match(error.message, /networks\.rpc/);
      assert.deepEqual(await node.received(), ["eth_blockNumber", "eth_sendRawTransaction"]);
    });
  });

  it("a node that resets every request: the read is tried twice, then a flaiError says so", async () => {
    await throughPlugin({ from: 2 }, async (connection, node) => {
      await connection.provider.request({ method: "eth_blockNumber" });
      const error = await errorOf(() => connection.provider.request({ method: "eth_chainId" }));
      assert.ok(isFlaiError(error), String(error));
      assert.match(error.message, /Network "rpc".*while answering eth_chainId after a first attempt failed the same way/);
      assert.deepEqual(await node.received(), ["eth_blockNumber", "eth_chainId", "eth_chainId"]);
    });
  });

  it("a node that is gone: the request fails at once with a flaiError naming the network and its node", async () => {
    const node = await rpcNode();
    const connection = await useConnection(await runtimeOn(node));
    await connection.provider.request({ method: "eth_blockNumber" });
    await node.close();
    const error = await errorOf(() => connection.provider.request({ method: "eth_blockNumber" }));
    assert.ok(isFlaiError(error), String(error));
    assert.match(
      error.message,
      /Network "rpc" \(http:\/\/127\.0\.0\.1:\d+\): the node refused the connection while answering eth_blockNumber\./,
    );
    assert.match(error.message, /Check that the node is running/);
  });

  it("decides by error codes and method names, not by messages", () => {
    assert.equal(
      closedConnectionCode(new Error("Failed to make POST request", { cause: Object.assign(new Error("x"), { code: "ECONNRESET" }) })),
      "ECONNRESET",
    );
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
