import { expect } from "chai";
import { parseEther, Wallet } from "ethers";
import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import type { FlaiConnection } from "../../src/chain/connection.js";
import { startComputeDevnet, type ComputeDevnet, type ComputeDevnetOptions } from "../../src/devnet/compute-devnet.js";
import { modelAnswerer } from "../../src/devnet/compute/model-answerer.js";
import { inferenceContract, readAccount, type UserAccount } from "../../src/devnet/compute/serving-contract.js";
import type { LedgerView, MarketOptions } from "../../src/market/types.js";
import { walletFor } from "../../src/market/wallet.js";
import { sampleModel } from "../../src/cli/market-network.js";

import { expectFlaiError } from "../helpers/assert.js";
import { freePort } from "../helpers/net.js";
import { tempProject } from "../helpers/project.js";

const FEATURES = "[0.5, 51, -2.8, 104, 1.2, 0.1, 20.3, -9.5]";

describe("faults: a compute provider that goes down mid-call", function () {
  this.timeout(120_000);
  let hre: HardhatRuntimeEnvironment;
  let connection: FlaiConnection;
  let devnetOpts: ComputeDevnetOptions;
  let devnet: ComputeDevnet | undefined;
  let opts: MarketOptions & { connection: FlaiConnection };

  before(async () => {
    ({ hre } = await tempProject());
    connection = await hre.network.create();
    // A fixed port and TEE key: the restarted provider is the same service at the same URL.
    devnetOpts = {
      model: "flai/logistic-regression",
      answer: modelAnswerer(await sampleModel()),
      teeKey: Wallet.createRandom().privateKey,
      port: await freePort(),
    };
    devnet = await startComputeDevnet(connection, devnetOpts);
    opts = { connection, contracts: devnet.contracts, account: 2 };
  });

  after(async () => devnet?.close());

  it("no fee without an answer; the restarted provider answers and charges once", async () => {
    const provider = devnet!.providerAddress;
    const user = (await walletFor(connection, 2)).address;
    const inference = inferenceContract(devnet!.contracts.inference, connection.ethers.provider);
    await hre.flai.market.setup({ ...opts, provider, ledger: "3" });
    const warmup = await hre.flai.market.ping({ ...opts, provider, prompt: FEATURES });
    expect(warmup.verified).to.equal(true);
    // The provider settles in batches; have it settle the warm-up now so nothing is pending below.
    await devnet!.settle();
    expect(devnet!.unsettled(user)).to.equal(0n);

    const ledgerBefore = (await hre.flai.market.ledger(opts))!;
    const settledBefore = devnet!.settlements.length;

    // The provider dies after the SDK signed the request headers (and, as it does before every
    // request, moved ledger funds into the provider sub-account), before the chat request is sent.
    const market = hre.flai.market;
    const requestHeaders = market.requestHeaders.bind(market);
    const down = devnet!;
    let atHeaders: { ledger: LedgerView; account: UserAccount } | undefined;
    market.requestHeaders = async (o) => {
      const headers = await requestHeaders(o);
      atHeaders = { ledger: (await market.ledger(opts))!, account: (await readAccount(inference, user, provider))! };
      await down.close();
      devnet = undefined;
      return headers;
    };
    try {
      await expectFlaiError(
        () => market.ping({ ...opts, provider, prompt: FEATURES }),
        "cannot be reached",
        `127.0.0.1:${devnetOpts.port}`,
      );
    } finally {
      market.requestHeaders = requestHeaders;
    }
    // Nothing was charged: not by the failed call, not by the provider on its way down.
    expect(down.settlements.length).to.equal(settledBefore);
    const ledgerAfter = (await market.ledger(opts))!;
    expect(ledgerAfter).to.deep.equal(atHeaders!.ledger);
    expect(ledgerAfter.total).to.equal(ledgerBefore.total);
    const accountAfter = (await readAccount(inference, user, provider))!;
    expect(accountAfter.balance).to.equal(atHeaders!.account.balance);
    expect(accountAfter.nonce).to.equal(atHeaders!.account.nonce);

    // Same contracts, same provider account: re-registration updates the service, without a new stake.
    const providerBalance = await connection.ethers.provider.getBalance(provider);
    devnet = await startComputeDevnet(connection, devnetOpts);
    expect(devnet.providerAddress).to.equal(provider);
    expect(devnet.contracts).to.deep.equal(opts.contracts);
    expect(providerBalance - (await connection.ethers.provider.getBalance(provider)) < parseEther("0.01")).to.equal(true);

    const r = await hre.flai.market.ping({ ...opts, provider, prompt: FEATURES });
    expect(r.verified).to.equal(true);
    expect(r.fee > 0n).to.equal(true);
    expect(r.unsettled).to.equal(r.fee); // owed once: the failed call added nothing
    expect(r.ledgerBefore).to.deep.equal(ledgerAfter);
    // When the restarted provider settles, it takes exactly this one fee.
    const [record] = await devnet.settle();
    expect(devnet.settlements).to.have.length(1);
    expect(record).to.deep.include({ totalFee: r.fee, chats: [r.chatId], status: "success" });
    const seen = await hre.flai.market.settlement({ ...opts, provider, since: r.settlement.before });
    expect(seen).to.deep.include({ settled: true, amount: r.fee });
    expect(ledgerBefore.total - seen.after.ledgerTotal).to.equal(r.fee);
    expect((await readAccount(inference, user, provider))!.nonce).to.equal(accountAfter.nonce + 1n);
  });
});
