import { expect } from "chai";
import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";
import { Contract, parseUnits } from "ethers";

import type { FlaiConnection } from "../../src/chain/connection.js";
import { startComputeDevnet, type ComputeDevnet } from "../../src/devnet/compute-devnet.js";
import { DEFAULT_PRICES, startComputeProvider, type ComputeProviderFaults } from "../../src/devnet/compute/provider-server.js";
import { feeOf } from "../../src/devnet/compute/pricing.js";
import { format0G } from "../../src/chain/amount.js";
import { modelAnswerer } from "../../src/devnet/compute/model-answerer.js";
import type { MarketOptions } from "../../src/market/types.js";
import { walletFor } from "../../src/market/wallet.js";
import { printPing, printSettlement } from "../../src/cli/print-market.js";
import { sampleModel } from "../../src/cli/market-network.js";
import { Ui } from "../../src/ui.js";

import { expectFlaiError } from "../helpers/assert.js";
import { tempProject } from "../helpers/project.js";

const FEATURES = "[0.5, 51, -2.8, 104, 1.2, 0.1, 20.3, -9.5]";

/** The lines a printer writes. */
function printed(print: (ui: Ui) => void): string[] {
  const lines: string[] = [];
  print(new Ui({ out: (line) => lines.push(line) }));
  return lines;
}

describe("market: the 0G serving flow through hre.flai.market against the local compute devnet", function () {
  this.timeout(240_000);
  let hre: HardhatRuntimeEnvironment;
  let connection: FlaiConnection;
  let devnet: ComputeDevnet;
  let opts: MarketOptions & { connection: FlaiConnection };
  const faults: ComputeProviderFaults = {}; // read by the provider on every request

  before(async () => {
    ({ hre } = await tempProject());
    connection = await hre.network.create();
    // Like a real provider, it settles in batches: here every 2 answered requests.
    devnet = await startComputeDevnet(connection, {
      model: "flai/logistic-regression",
      answer: modelAnswerer(await sampleModel()),
      faults,
      settlement: { mode: "batch", every: 2 },
    });
    opts = { connection, contracts: devnet.contracts, account: 2 };
  });

  after(async () => devnet?.close());

  it("discovers the provider with its endpoint and prices", async () => {
    const [p] = await hre.flai.market.discover(opts);
    expect(p).to.include({
      provider: devnet.providerAddress,
      model: "flai/logistic-regression",
      serviceType: "chatbot",
      verifiability: "TeeML",
    });
    expect(p!.endpoint).to.equal(`${devnet.url}/v1/proxy`);
    expect(p!.inputPrice > 0n).to.equal(true);
  });

  it("asks for setup first: AccountNotExists", async () => {
    await expectFlaiError(
      () => hre.flai.market.ping({ ...opts, provider: devnet.providerAddress, prompt: FEATURES }),
      "AccountNotExists",
      "flai:market-setup",
    );
  });

  it("refuses to open a ledger below the 3 0G minimum, before any transaction", async () => {
    const user = (await walletFor(connection, 2)).address;
    const nonce = await connection.ethers.provider.getTransactionCount(user);
    await expectFlaiError(
      () => hre.flai.market.setup({ ...opts, provider: devnet.providerAddress, ledger: "0.10" }),
      "--ledger 0.1 0G is below the minimum of 3 0G",
      "Nothing was sent",
    );
    expect(await hre.flai.market.ledger(opts)).to.equal(undefined);
    expect(await connection.ethers.provider.getTransactionCount(user)).to.equal(nonce);
  });

  it("sets up the ledger exactly and acknowledges once (idempotent)", async () => {
    // No amount given: a new ledger opens with the minimum, and says so.
    const first = await hre.flai.market.setup({ ...opts, provider: devnet.providerAddress });
    expect(first.ledgerBefore).to.equal(undefined);
    expect(first.deposited).to.equal(parseUnits("3", 18));
    expect(first.openedWithMinimum).to.equal(true);
    expect(first.acknowledged.already).to.equal(false);
    const more = await hre.flai.market.setup({ ...opts, provider: devnet.providerAddress, ledger: "3.000000000000000001" });
    expect(more.deposited).to.equal(1n);
    const again = await hre.flai.market.setup({ ...opts, provider: devnet.providerAddress, ledger: "3" });
    expect(again.deposited).to.equal(0n);
    expect(again.acknowledged.already).to.equal(true);
    // An existing ledger is only topped up; a small amount asks for nothing more.
    const small = await hre.flai.market.setup({ ...opts, provider: devnet.providerAddress, ledger: "0.1" });
    expect(small.deposited).to.equal(0n);
    expect(small.openedWithMinimum).to.equal(false);
  });

  it("pings: the answer verifies, the fee is owed and nothing is called settled until the chain shows it", async () => {
    const provider = devnet.providerAddress;
    const user = (await walletFor(connection, 2)).address;
    const r = await hre.flai.market.ping({ ...opts, provider, prompt: FEATURES });
    expect(r.answer).to.match(/prediction: [01], probability: 0\.\d{4}|prediction: [01], probability: 1\.0000/);
    expect(r.verified).to.equal(true);
    expect(r.signature.signer).to.equal(devnet.teeSigner);
    expect(r.signature.text).to.match(/^[0-9a-f]{64}:[0-9a-f]{64}$/);
    expect(r.chatId).to.not.equal(r.completionId);
    // Right after the request: owed (exactly usage × prices, and what the provider reports), not settled.
    expect(r.fee).to.equal(feeOf(r.usage, DEFAULT_PRICES));
    expect(r.fee > 0n).to.equal(true);
    expect(r.unsettled).to.equal(r.fee);
    expect(devnet.unsettled(user)).to.equal(r.fee);
    expect(devnet.settlements).to.have.length(0);
    expect(r.settlement).to.deep.include({ settled: false, amount: 0n });
    expect(r.ledgerAfter.total).to.equal(r.ledgerBefore.total);
    const lines = printed((ui) => printPing(ui, r));
    expect(lines).to.include(
      `Fee owed:      ${format0G(r.fee)} (${r.usage.prompt_tokens} input + ${r.usage.completion_tokens} output tokens)`,
    );
    expect(lines).to.include(`Unsettled:     ${format0G(r.fee)} in all, as the provider reports`);
    expect(lines).to.include("Settled:       nothing yet (the provider settles in batches, on its own schedule)");
    expect(lines.join("\n")).to.not.match(/payment settled|Fee settled/);

    // A second request completes the provider's batch of 2; it settles both on its own.
    const r2 = await hre.flai.market.ping({ ...opts, provider, prompt: FEATURES });
    const deadline = Date.now() + 15_000;
    let seen = await hre.flai.market.settlement({ ...opts, provider, since: r.settlement.before });
    while (!seen.settled && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      seen = await hre.flai.market.settlement({ ...opts, provider, since: r.settlement.before });
    }
    expect(seen.settled, "the provider's batch settlement was not observed on-chain").to.equal(true);
    expect(seen.amount).to.equal(r.fee + r2.fee);
    expect(seen.after.nonce).to.equal(seen.before.nonce + 1n);
    expect(seen.before.ledgerTotal - seen.after.ledgerTotal).to.equal(r.fee + r2.fee);
    expect(devnet.settlements.map((s) => s.chats)).to.deep.equal([[r.chatId, r2.chatId]]);
    expect(devnet.unsettled(user)).to.equal(0n);
    expect(printed((ui) => printSettlement(ui, seen))).to.include(
      `Settled:       ${format0G(r.fee + r2.fee)} on-chain (settleFeesWithTEE; settlement nonce ${seen.before.nonce} → ${seen.after.nonce})`,
    );
  });

  it("a tampered token is refused with the provider's reason", async () => {
    const headers = await hre.flai.market.requestHeaders({ ...opts, provider: devnet.providerAddress });
    const raw = Buffer.from(headers.Authorization!.slice("Bearer app-sk-".length), "base64").toString();
    const bar = raw.indexOf("|");
    const token = JSON.parse(raw.slice(0, bar)) as Record<string, unknown>;
    token.timestamp = Number(token.timestamp) + 1; // any change breaks the user's signature over the token
    const tampered = JSON.stringify(token) + raw.slice(bar);
    const forged = { ...headers, Authorization: "Bearer app-sk-" + Buffer.from(tampered).toString("base64") };
    await expectFlaiError(
      () => hre.flai.market.chat({ ...opts, provider: devnet.providerAddress, prompt: FEATURES, headers: forged }),
      "invalid token",
    );
  });

  it("a revoked token is refused", async () => {
    const headers = await hre.flai.market.requestHeaders({ ...opts, provider: devnet.providerAddress });
    await hre.flai.market.revokeTokens({ ...opts, provider: devnet.providerAddress });
    await expectFlaiError(() => hre.flai.market.chat({ ...opts, provider: devnet.providerAddress, prompt: FEATURES, headers }), "revoked");
  });

  it("a wrong response signature: the ping is rejected with Invalid signature, naming both keys", async () => {
    faults.wrongSignature = true;
    try {
      await expectFlaiError(
        () => hre.flai.market.ping({ ...opts, provider: devnet.providerAddress, prompt: FEATURES }),
        "Invalid signature",
        `not by the acknowledged TEE signer ${devnet.teeSigner}`,
      );
    } finally {
      faults.wrongSignature = false;
    }
  });

  it("a signature by the right key over other bodies: rejected as a signed text mismatch", async () => {
    faults.signOtherBodies = true;
    try {
      const error = await expectFlaiError(
        () => hre.flai.market.ping({ ...opts, provider: devnet.providerAddress, prompt: FEATURES }),
        "Signed text mismatch",
        "sha256(request):sha256(response)",
      );
      const [signed, expected] = [...error.message.matchAll(/"([0-9a-f]{64}:[0-9a-f]{64})"/g)].map((m) => m[1]);
      expect(signed).to.not.equal(expected);
    } finally {
      faults.signOtherBodies = false;
    }
  });

  it("an insufficient ledger: Insufficient balance", async () => {
    const poor = { ...opts, account: 3 };
    await hre.flai.market.setup({ ...poor, provider: devnet.providerAddress, ledger: "3" });
    // Take back what the ledger still has free, so the SDK cannot top the provider sub-account up.
    const wallet = await walletFor(connection, 3);
    const ledger = new Contract(devnet.contracts.ledger, ["function refund(uint256 amount)"], wallet);
    const view = (await hre.flai.market.ledger(poor))!;
    await (await ledger.getFunction("refund")(view.available)).wait();
    await expectFlaiError(
      () => hre.flai.market.ping({ ...poor, provider: devnet.providerAddress, prompt: FEATURES }),
      "Insufficient balance",
    );
  });

  it("a provider whose TEE signer the owner never acknowledged is refused", async () => {
    const signers = await connection.ethers.getSigners();
    const rogue = await startComputeProvider({
      connection,
      contracts: devnet.contracts,
      providerSigner: signers[5]!,
      teeKey: "0x" + "42".repeat(32),
      model: "rogue",
      answer: modelAnswerer(await sampleModel()),
      acknowledge: false,
    });
    try {
      expect((await hre.flai.market.discover(opts)).map((p) => p.provider)).to.not.include(rogue.providerAddress);
      const who = { ...opts, account: 4 };
      await hre.flai.market.setup({ ...who, provider: rogue.providerAddress, ledger: "3" });
      await expectFlaiError(() => hre.flai.market.ping({ ...who, provider: rogue.providerAddress, prompt: FEATURES }), "not acknowledged");
    } finally {
      await rogue.close();
    }
  });

  it("rejects a malformed provider address and amount", async () => {
    await expectFlaiError(() => hre.flai.market.setup({ ...opts, provider: "0x123", ledger: "1" }), "--provider");
    await expectFlaiError(() => hre.flai.market.setup({ ...opts, provider: devnet.providerAddress, ledger: "1e18" }), "--ledger");
  });

  // Last: it closes the shared devnet. A demo run twice in one process does this: its compute devnet
  // closed, a new one started on the same connection and chain.
  it("a compute devnet started again on the same connection is reached at its own endpoint, not the closed one's", async () => {
    await hre.flai.market.ping({ ...opts, provider: devnet.providerAddress, prompt: FEATURES }); // the broker, as the first devnet left it
    await devnet.close();
    const again = await startComputeDevnet(connection, { model: "flai/again", answer: modelAnswerer(await sampleModel()) });
    try {
      const ping = await hre.flai.market.ping({ ...opts, contracts: again.contracts, provider: again.providerAddress, prompt: FEATURES });
      expect(ping.endpoint).to.equal(`${again.url}/v1/proxy`);
      expect(ping.verified).to.equal(true);
    } finally {
      await again.close();
    }
  });
});
