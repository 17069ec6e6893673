import { expect } from "chai";
import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";
import { FeeData, type Provider } from "ethers";

import type { FlaiConnection } from "../../src/chain/connection.js";
import { startComputeDevnet, type ComputeDevnet } from "../../src/devnet/compute-devnet.js";
import { modelAnswerer } from "../../src/devnet/compute/model-answerer.js";
import { sdkGasPrice } from "../../src/chain/fee-data.js";
import { walletFor } from "../../src/market/wallet.js";
import { sampleModel } from "../../src/cli/market-network.js";

import { tempProject } from "../helpers/project.js";

/** A provider that only answers getFeeData, with this gas price. */
const suggesting = (gasPrice: bigint | null) => ({ getFeeData: async () => new FeeData(gasPrice, null, null) }) as unknown as Provider;

/** The delays of every setTimeout scheduled while `work` runs. */
async function timersDuring(work: () => Promise<unknown>): Promise<number[]> {
  const original = globalThis.setTimeout;
  const delays: number[] = [];
  globalThis.setTimeout = Object.assign((handler: () => void, delay?: number, ...args: unknown[]) => {
    delays.push(delay ?? 0);
    return (original as (...a: unknown[]) => NodeJS.Timeout)(handler, delay, ...args);
  }, original) as typeof setTimeout;
  try {
    await work();
  } finally {
    globalThis.setTimeout = original;
  }
  return delays;
}

describe("market: every transaction the compute SDK sends carries a gas price", function () {
  this.timeout(240_000);

  it("sdkGasPrice: the provider's suggested legacy price as the SDK's number, or undefined", async () => {
    expect(await sdkGasPrice(suggesting(2_000_000_007n))).to.equal(2_000_000_007);
    expect(await sdkGasPrice(suggesting(null))).to.equal(undefined);
    expect(await sdkGasPrice(suggesting(BigInt(Number.MAX_SAFE_INTEGER) + 1n))).to.equal(undefined);
    expect(await sdkGasPrice(null)).to.equal(undefined);
  });

  describe("against the local compute devnet", () => {
    let hre: HardhatRuntimeEnvironment;
    let connection: FlaiConnection;
    let devnet: ComputeDevnet;

    before(async () => {
      ({ hre } = await tempProject());
      connection = await hre.network.create();
      devnet = await startComputeDevnet(connection, { model: "flai/logistic-regression", answer: modelAnswerer(await sampleModel()) });
    });

    after(async () => devnet?.close());

    it("setup, request headers and revoking tokens never reach the SDK's no-gas-price path (a 1 s sleep per transaction)", async () => {
      const opts = { connection, contracts: devnet.contracts, account: 3, provider: devnet.providerAddress };
      const user = (await walletFor(connection, 3)).address;
      const before = await connection.ethers.provider.getTransactionCount(user);
      const delays = await timersDuring(async () => {
        await hre.flai.market.setup({ ...opts, ledger: "4" }); // addLedger, then the SDK: transferFund + acknowledgeTEESigner
        await hre.flai.market.requestHeaders(opts); // the SDK's auto-funding tops the sub-account up: transferFund
        await hre.flai.market.revokeTokens(opts); // the SDK: revokeAllTokens
      });
      // The SDK sent its four transactions (the flows ran), and none of them waited on the 1 s sleep.
      expect(await connection.ethers.provider.getTransactionCount(user)).to.equal(before + 5);
      expect(delays.filter((d) => d === 1000)).to.deep.equal([]);
    });
  });
});
