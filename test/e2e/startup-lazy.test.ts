// What every Hardhat command pays for hardhat-flai at start-up (issue 14): creating hre.flai and
// deploying on the in-process chain must not load the 0G SDK bundles (loaded by the first storage or
// market call that needs them) nor Ignition (persistent chains only). A process of its own records
// the module URLs it loads (test/helpers/startup-modules.ts).
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import path from "node:path";
import { promisify } from "node:util";

import { FlaiMarket } from "../../src/market/client.js";

import { errorOf, tempProject } from "../helpers/project.js";

const SCRIPT = path.join(import.meta.dirname, "..", "helpers", "startup-modules.ts");

describe("start-up loads only what it uses", () => {
  let loaded: string[];

  before(async function () {
    this.timeout(120_000);
    const { stdout } = await promisify(execFile)(process.execPath, ["--import", import.meta.resolve("tsx/esm"), SCRIPT], {
      timeout: 120_000,
      maxBuffer: 64 * 1024 * 1024,
    });
    loaded = JSON.parse(stdout.trim().split("\n").at(-1)!) as string[];
  });

  it("records the modules it loads (the runtime's own parts are there)", () => {
    assert.ok(loaded.some((url) => url.endsWith("/src/runtime.ts")));
    assert.ok(loaded.some((url) => url.endsWith("/src/chain/deploy-in-process.ts")));
  });

  it("no 0G SDK bundle: neither storage's nor the compute market's", () => {
    assert.deepEqual(
      loaded.filter((url) => /\/vendor\/0g-/.test(url)),
      [],
    );
    assert.deepEqual(
      loaded.filter((url) => /\/src\/(market\/client|storage\/zerog)\.ts$/.test(url)),
      [],
    );
  });

  it("no Ignition module on an in-process chain", () => {
    assert.deepEqual(
      loaded.filter((url) => /\/ignition\/modules\/|@nomicfoundation\/ignition-core|hardhat-ignition\/dist\/src\/modules/.test(url)),
      [],
    );
  });
});

describe("hre.flai.market before and after its first call", () => {
  it("forwards the first call (loading the market module), then is that FlaiMarket itself", async () => {
    const { hre } = await tempProject();
    const connection = await hre.network.create();
    const forwarder = hre.flai.market;
    assert.equal(forwarder instanceof FlaiMarket, false);
    // No compute devnet on this chain: the call fails, after loading the module and making the FlaiMarket.
    const error = await errorOf(() => forwarder.discover({ connection }));
    assert.match(error.message, /compute|devnet|marketplace/i);
    const market = hre.flai.market;
    assert.ok(market instanceof FlaiMarket);
    assert.equal(hre.flai.market, market);
    // The forwarder still works, and calls the same FlaiMarket.
    const again = await errorOf(() => forwarder.discover({ connection }));
    assert.equal(again.message, (await errorOf(() => market.discover({ connection }))).message);
  });
});
