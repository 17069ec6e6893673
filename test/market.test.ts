import { expect } from "chai";
import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";
import { Contract, parseUnits } from "ethers";

import type { FlaiConnection } from "../src/connection.js";
import { startComputeDevnet, type ComputeDevnet } from "../src/devnet/compute-devnet.js";
import { startComputeProvider } from "../src/devnet/compute/provider-server.js";
import { modelAnswerer } from "../src/devnet/compute/model-answerer.js";
import type { MarketOptions } from "../src/market/types.js";
import { walletFor } from "../src/market/wallet.js";
import { printPing } from "../tasks/market-ping.js";
import { sampleModel } from "../tasks/market-network.js";
import { Ui } from "../src/ui.js";

import { expectFlaiError } from "./helpers/assert.js";
import { tempProject } from "./helpers/project.js";

const FEATURES = "[0.5, 51, -2.8, 104, 1.2, 0.1, 20.3, -9.5]";

describe("market: the 0G serving flow through hre.flai.market against the local compute devnet", function () {
  this.timeout(240_000);
  let hre: HardhatRuntimeEnvironment;
  let connection: FlaiConnection;
  let devnet: ComputeDevnet;
  let opts: MarketOptions & { connection: FlaiConnection };
  const faults: { wrongSignature?: boolean } = {}; // read by the provider on every request

  before(async () => {
    ({ hre } = await tempProject());
    connection = await hre.network.create();
    devnet = await startComputeDevnet(connection, { model: "flai/logistic-regression", answer: modelAnswerer(await sampleModel()), faults });
    opts = { connection, contracts: devnet.contracts, account: 2 };
  });

  after(async () => devnet?.close());

  it("discovers the provider with its endpoint and prices", async () => {
    const [p] = await hre.flai.market.discover(opts);
    expect(p).to.include({ provider: devnet.providerAddress, model: "flai/logistic-regression", serviceType: "chatbot", verifiability: "TeeML" });
    expect(p!.endpoint).to.equal(`${devnet.url}/v1/proxy`);
    expect(p!.inputPrice > 0n).to.equal(true);
  });

  it("asks for setup first: AccountNotExists", async () => {
    await expectFlaiError(() => hre.flai.market.ping({ ...opts, provider: devnet.providerAddress, prompt: FEATURES }), "AccountNotExists", "flai:market-setup");
  });

  it("sets up the ledger exactly and acknowledges once (idempotent)", async () => {
    const first = await hre.flai.market.setup({ ...opts, provider: devnet.providerAddress, ledger: "0.10" });
    expect(first.ledgerBefore).to.equal(undefined);
    expect(first.deposited).to.equal(parseUnits("3", 18)); // the contract's minimum to open a ledger
    expect(first.acknowledged.already).to.equal(false);
    const more = await hre.flai.market.setup({ ...opts, provider: devnet.providerAddress, ledger: "3.000000000000000001" });
    expect(more.deposited).to.equal(1n);
    const again = await hre.flai.market.setup({ ...opts, provider: devnet.providerAddress, ledger: "3" });
    expect(again.deposited).to.equal(0n);
    expect(again.acknowledged.already).to.equal(true);
  });

  it("pings: the model answers, the signature verifies, the ledger drops by exactly the settled fee", async () => {
    const before = devnet.settlements.length;
    const r = await hre.flai.market.ping({ ...opts, provider: devnet.providerAddress, prompt: FEATURES });
    expect(r.answer).to.match(/prediction: [01], probability: 0\.\d{4}|prediction: [01], probability: 1\.0000/);
    expect(r.verified).to.equal(true);
    const settled = devnet.settlements.slice(before).reduce((sum, s) => sum + s.totalFee, 0n);
    expect(r.fee > 0n).to.equal(true);
    expect(r.fee).to.equal(settled);
    expect(r.ledgerBefore.total - r.ledgerAfter.total).to.equal(settled);
  });

  it("a tampered token is refused with the provider's reason", async () => {
    const headers = await hre.flai.market.requestHeaders({ ...opts, provider: devnet.providerAddress });
    const raw = Buffer.from(headers.Authorization!.slice("Bearer app-sk-".length), "base64").toString();
    const bar = raw.indexOf("|");
    const token = JSON.parse(raw.slice(0, bar)) as Record<string, unknown>;
    token.timestamp = Number(token.timestamp) + 1; // any change breaks the user's signature over the token
    const tampered = JSON.stringify(token) + raw.slice(bar);
    const forged = { ...headers, Authorization: "Bearer app-sk-" + Buffer.from(tampered).toString("base64") };
    await expectFlaiError(() => hre.flai.market.chat({ ...opts, provider: devnet.providerAddress, prompt: FEATURES, headers: forged }), "invalid token");
  });

  it("a revoked token is refused", async () => {
    const headers = await hre.flai.market.requestHeaders({ ...opts, provider: devnet.providerAddress });
    await hre.flai.market.revokeTokens({ ...opts, provider: devnet.providerAddress });
    await expectFlaiError(() => hre.flai.market.chat({ ...opts, provider: devnet.providerAddress, prompt: FEATURES, headers }), "revoked");
  });

  it("a wrong response signature: verification fails and the task reports Invalid signature", async () => {
    faults.wrongSignature = true;
    try {
      const r = await hre.flai.market.ping({ ...opts, provider: devnet.providerAddress, prompt: FEATURES });
      expect(r.verified).to.equal(false);
      await expectFlaiError(() => printPing(new Ui({ out: () => {} }), r), "Invalid signature");
    } finally {
      faults.wrongSignature = false;
    }
  });

  it("an insufficient ledger: Insufficient balance", async () => {
    const poor = { ...opts, account: 3 };
    await hre.flai.market.setup({ ...poor, provider: devnet.providerAddress, ledger: "3" });
    // Take back what the ledger still has free, so the SDK cannot top the provider sub-account up.
    const wallet = await walletFor(connection, 3);
    const ledger = new Contract(devnet.contracts.ledger, ["function refund(uint256 amount)"], wallet);
    const view = (await hre.flai.market.ledger(poor))!;
    await (await ledger.refund(view.available)).wait();
    await expectFlaiError(() => hre.flai.market.ping({ ...poor, provider: devnet.providerAddress, prompt: FEATURES }), "Insufficient balance");
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
});
