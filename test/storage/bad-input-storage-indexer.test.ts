import { existsSync } from "node:fs";
import { readdir, rm } from "node:fs/promises";
import path from "node:path";

import { expect } from "chai";

import { startRpcServer, type RpcServer } from "../../src/devnet/storage/rpc.js";
import { ZeroGStorage } from "../../src/storage/zerog.js";
import { expectFlaiError } from "../helpers/assert.js";
import { tempDir } from "../helpers/project.js";

const ROOT = "0x" + "ab".repeat(32);

/** A 0G storage client against a fake indexer on loopback that answers `locations` for every root. */
async function against(locations: unknown, fileInfo: unknown = null): Promise<{ storage: ZeroGStorage; servers: RpcServer[] }> {
  const node = await startRpcServer(new Map([["zgs_getFileInfo", () => fileInfo]]), { host: "127.0.0.1", port: 0 });
  const answer = locations === "NODE" ? [{ url: node.url }] : locations;
  const indexer = await startRpcServer(new Map([["indexer_getFileLocations", () => answer]]), { host: "127.0.0.1", port: 0 });
  const storage = new ZeroGStorage({
    indexerUrl: indexer.url,
    evmRpc: async () => "http://127.0.0.1:9",
    signer: async () => {
      throw new Error("no uploads here");
    },
    timeoutSeconds: 5,
    retries: 0,
  });
  return { storage, servers: [indexer, node] };
}

describe("bad input (issue 15): an indexer or storage node answering the wrong JSON type", () => {
  let dir: string;
  const servers: RpcServer[] = [];
  beforeEach(async () => {
    dir = await tempDir("flai-indexer-");
  });
  afterEach(async () => {
    for (const server of servers.splice(0)) await server.close();
    await rm(dir, { recursive: true, force: true });
  });

  for (const [what, locations] of [
    ["a number", 42],
    ["an object", { url: "http://127.0.0.1:1" }],
    ["a list of strings", ["http://127.0.0.1:1"]],
  ] as const) {
    it(`the indexer answering ${what} for a file's locations is an error naming the indexer, not a TypeError`, async () => {
      const { storage, servers: started } = await against(locations);
      servers.push(...started);
      const error = await expectFlaiError(
        () => storage.has(ROOT),
        "indexer_getFileLocations",
        "not a list of storage nodes",
        "flai.storage.indexerUrl",
      );
      expect(error.message).to.contain(storage.indexerUrl);
    });
  }

  it("a storage node answering a string for file info is named, and a download writes nothing", async () => {
    const { storage, servers: started } = await against("NODE", "x".repeat(5000));
    servers.push(...started);
    const out = path.join(dir, "model.bin");
    const error = await expectFlaiError(() => storage.download(ROOT, out), "zgs_getFileInfo", "not file info");
    expect(error.message.length, "the 5000-character answer is quoted as an excerpt").to.be.below(600);
    expect(existsSync(out)).to.equal(false);
    expect(await readdir(dir)).to.deep.equal([]);
  });
});
