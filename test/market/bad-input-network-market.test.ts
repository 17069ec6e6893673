import { expect } from "chai";
import { Wallet } from "ethers";
import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import type { FlaiConnection } from "../../src/chain/connection.js";
import { startComputeDevnet, type ComputeDevnet } from "../../src/devnet/compute-devnet.js";
import type { MarketOptions } from "../../src/market/types.js";

import { expectFlaiError } from "../helpers/assert.js";
import { tempProject } from "../helpers/project.js";

// Issue 15: every network read has a size limit. A provider's chat answer is read at most 16 MiB;
// past that the request is aborted and the user told, instead of the answer being read whole.

describe("bad input (issue 15): a compute provider's oversized chat answer is cut off", function () {
  this.timeout(120_000);
  let hre: HardhatRuntimeEnvironment;
  let connection: FlaiConnection;
  let devnet: ComputeDevnet | undefined;

  before(async () => {
    ({ hre } = await tempProject());
    connection = await hre.network.create();
  });
  after(async () => devnet?.close());

  it("a 20 MB answer: an error naming the provider's endpoint and the 16 MiB limit", async () => {
    devnet = await startComputeDevnet(connection, {
      model: "flai/huge",
      answer: () => ({ content: "x".repeat(20 * 1024 * 1024) }),
      teeKey: Wallet.createRandom().privateKey,
    });
    const opts: MarketOptions & { connection: FlaiConnection } = { connection, contracts: devnet.contracts, account: 2 };
    const provider = devnet.providerAddress;
    await hre.flai.market.setup({ ...opts, provider, ledger: "3" });
    const error = await expectFlaiError(
      () => hre.flai.market.ping({ ...opts, provider, prompt: "hello" }),
      "/chat/completions",
      "16 MiB",
      "the transfer was stopped",
    );
    expect(error.message.length).to.be.below(600);
  });
});
