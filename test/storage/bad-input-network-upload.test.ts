import { randomBytes } from "node:crypto";
import http from "node:http";

import { expect } from "chai";
import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import type { FlaiConnection } from "../../src/chain/connection.js";
import { startStorageDevnet } from "../../src/devnet/storage-devnet.js";
import { startStorageIndexer } from "../../src/devnet/storage-node.js";
import { zeroGStorageFor } from "../../src/storage/create.js";
import { expectFlaiError } from "../helpers/assert.js";
import { listenLoopback } from "../helpers/net.js";
import { tempDir, tempProject } from "../helpers/project.js";

// Issue 15: every network read has a size limit. The SDK uploads through its own axios client, which
// reads any answer whole; its node transport now reads through postJsonRpc, capped at 4 MiB.

/**
 * An HTTP proxy in front of a storage node that forwards every call but answers segment uploads
 * with an endless body; it counts the upload answers whose connection the client closed.
 */
async function endlessUploadsProxy(target: string) {
  const state = { cutOff: 0, bytesSent: 0 };
  const block = Buffer.alloc(256 * 1024, 0x61);
  const server = http.createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on("data", (p: Buffer) => parts.push(p));
    req.on("end", () => {
      const body = Buffer.concat(parts);
      if (!body.includes("zgs_uploadSegments")) {
        void fetch(target, { method: "POST", headers: { "content-type": "application/json" }, body }).then(async (answer) => {
          res.writeHead(answer.status, { "content-type": "application/json" });
          res.end(Buffer.from(await answer.arrayBuffer()));
        });
        return;
      }
      res.writeHead(200, { "content-type": "application/json" });
      res.write('{"jsonrpc":"2.0","id":1,"result":"');
      res.on("close", () => state.cutOff++);
      const pump = () => {
        while (!res.destroyed) {
          state.bytesSent += block.length;
          if (!res.write(block)) return void res.once("drain", pump);
        }
      };
      pump();
    });
  });
  return Object.assign(state, await listenLoopback(server));
}

describe("bad input (issue 15): a storage node answering an upload call endlessly", function () {
  this.timeout(120_000);
  let hre: HardhatRuntimeEnvironment;
  let connection: FlaiConnection;
  before(async () => {
    ({ hre } = await tempProject({ flai: { storage: { backend: "0g", timeoutSeconds: 20, retries: 1 } } }));
    connection = await hre.network.create();
  });

  it("is cut off at 4 MiB with its connection, not retried; the upload fails naming the node and the limit", async () => {
    const devnet = await startStorageDevnet(connection, { dir: await tempDir(), shards: 1 });
    const proxy = await endlessUploadsProxy(devnet.nodes[0]!.url);
    const indexer = await startStorageIndexer({ nodes: [proxy.url] });
    try {
      const storage = await zeroGStorageFor(connection, hre.config.flai, { indexerUrl: indexer.url });
      await expectFlaiError(() => storage.upload(randomBytes(3000)), proxy.url, "zgs_uploadSegmentsByTxSeq", "4 MiB");
      expect(proxy.cutOff, "one answer, cut off; no retry").to.equal(1);
      expect(proxy.bytesSent).to.be.below(4 * 1024 * 1024 + 32 * 1024 * 1024);
    } finally {
      await indexer.close();
      await proxy.close();
      await devnet.close();
    }
  });
});
