import { createHash } from "node:crypto";
import { rm } from "node:fs/promises";

import {
  CONTRACT_ADDRESSES,
  createZGComputeNetworkBroker,
  createZGComputeNetworkReadOnlyBroker,
  type ZGComputeNetworkBroker,
} from "@0gfoundation/0g-compute-ts-sdk";
import { expect } from "chai";
import { JsonRpcProvider, Wallet, getBytes, keccak256, parseEther, toUtf8Bytes, verifyMessage } from "ethers";
import type { NetworkConnection } from "hardhat/types/network";

import { serveChain } from "../../src/chain/chain-server.js";
import { startComputeDevnet, type ComputeDevnet } from "../../src/devnet/compute-devnet.js";
import { deployComputeContracts, findComputeContracts } from "../../src/devnet/compute/contracts.js";
import { modelAnswerer } from "../../src/devnet/compute/model-answerer.js";
import { inferenceContract, readService } from "../../src/devnet/compute/serving-contract.js";
import { countTokens, feeOf } from "../../src/devnet/compute/pricing.js";
import { startComputeProvider, type ComputeProvider, type ComputeProviderFaults } from "../../src/devnet/compute/provider-server.js";
import { linearModel, type GlobalModel } from "../../src/federated/global-model.js";
import { predictProba } from "../../src/ml/logistic.js";
import { quietly } from "../../src/util/sdk-console.js";
import { unrefLongTimers } from "../../src/util/sdk-timers.js";

import { checkExchange, fetchResponseSignature } from "../../src/market/exchange.js";
import { MIN_LEDGER_OG } from "../../src/market/ledger-minimum.js";
import { SettlementTrigger } from "../../src/devnet/compute/settlement-schedule.js";

import { tempDir, tempProject } from "../helpers/project.js";

/** Polls `done` every 50 ms for up to 15 s (settlements land asynchronously, after the answer). */
async function until(done: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (!done()) {
    if (Date.now() > deadline) expect.fail(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const MODEL_NAME = "flai/logistic-regression";
const sha256hex = (text: string) => createHash("sha256").update(text).digest("hex");
const ZERO_ROOT = "0x" + "0".repeat(64);

/** A 3-feature model with standardization, so predictions exercise predictProba's whole path. */
const MODEL: GlobalModel = {
  format: "flai-global-model/v1",
  algorithm: "logistic-regression",
  features: 3,
  weights: [1.5, -2, 0.5],
  bias: 0.25,
  standardization: { mean: [1, 2, 3], scale: [2, 1, 4] },
  round: 4,
  federated: { strategy: { name: "fedavg" }, local: { maxIterations: 10, c: 1, mu: 0 }, evaluationRoot: ZERO_ROOT },
  previousHash: null,
  metrics: null,
};

interface ChatReply {
  id: string;
  choices: { message: { content: string } }[];
  usage: { prompt_tokens: number; completion_tokens: number; total_tokens: number };
}

/** A session header signed exactly as the SDK's generateSessionToken does, for cases it will not produce. */
async function sessionHeader(wallet: Wallet, provider: string, { generation = 0, ageMs = 0 } = {}): Promise<string> {
  const now = Date.now() - ageMs;
  const token = {
    address: wallet.address,
    provider,
    timestamp: now,
    expiresAt: now + 3_600_000,
    nonce: "t" + now,
    generation,
    tokenId: 255,
  };
  const raw = JSON.stringify(token);
  const signature = await wallet.signMessage(getBytes(keccak256(toUtf8Bytes(raw))));
  return `Bearer app-sk-${Buffer.from(raw + "|" + signature).toString("base64")}`;
}

async function post(
  url: string,
  authorization: string | undefined,
  body: unknown,
): Promise<{ status: number; json: unknown; resKey: string | null }> {
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (authorization !== undefined) headers.Authorization = authorization;
  const res = await fetch(url, { method: "POST", headers, body: JSON.stringify(body) });
  return { status: res.status, json: await res.json(), resKey: res.headers.get("ZG-Res-Key") };
}

describe("compute devnet: the real 0G compute SDK against the local serving contracts and provider", function () {
  this.timeout(120_000);
  let connection: NetworkConnection<string>;
  let devnet: ComputeDevnet;
  let chain: { url: string; close(): Promise<void> };
  let rpc: JsonRpcProvider;
  let user: Wallet;
  let broker: ZGComputeNetworkBroker;
  const faults: ComputeProviderFaults = {};
  const extra: ComputeProvider[] = [];
  const folders: string[] = [];

  const chatUrl = () => `${devnet.url}/v1/proxy/chat/completions`;
  const sdk = <T>(work: () => Promise<T>) => quietly(() => unrefLongTimers(work));

  async function fundedWallet(): Promise<Wallet> {
    const wallet = new Wallet(Wallet.createRandom().privateKey, rpc);
    const [funder] = await connection.ethers.getSigners();
    await (await funder!.sendTransaction({ to: wallet.address, value: parseEther("1000") })).wait();
    return wallet;
  }

  async function brokerFor(wallet: Wallet): Promise<ZGComputeNetworkBroker> {
    const { ledger, inference, fineTuning } = devnet.contracts;
    return sdk(() => createZGComputeNetworkBroker(wallet as never, ledger, inference, fineTuning));
  }

  before(async () => {
    const { hre } = await tempProject();
    connection = await hre.network.create();
    // Manual settlement: each test decides when the provider settles (batching has its own test).
    devnet = await startComputeDevnet(connection, {
      model: MODEL_NAME,
      answer: modelAnswerer(MODEL),
      faults,
      settlement: { mode: "manual" },
    });
    chain = await serveChain(connection.provider);
    // The SDK waits for receipts by polling; ethers' default 4 s interval would dominate the test.
    rpc = new JsonRpcProvider(chain.url, undefined, { pollingInterval: 100 });
    user = await fundedWallet();
    broker = await brokerFor(user);
  });

  after(async () => {
    for (const provider of extra) await provider.close();
    await devnet?.close();
    rpc?.destroy();
    await chain?.close();
    for (const folder of folders) await rm(folder, { recursive: true, force: true });
  });

  it("deploys the serving contracts at the SDK's built-in chain-31337 addresses, and finds them again", async () => {
    expect(devnet.contracts).to.deep.equal({ ...CONTRACT_ADDRESSES.hardhat, builtIn: true });
    expect(await findComputeContracts(connection.ethers.provider)).to.deep.equal(devnet.contracts);
    // The read-only broker has no address override: it only works because they are built in.
    const readOnly = await sdk(() => createZGComputeNetworkReadOnlyBroker(chain.url, 31337));
    const listed = await readOnly.inference.listService();
    expect(listed.map((s) => s.provider)).to.deep.equal([devnet.providerAddress]);
  });

  it("lists the provider's acknowledged TeeML chatbot service with its prices", async () => {
    const [service] = await broker.inference.listService();
    const { provider, serviceType, url, model, verifiability, teeSignerAddress, teeSignerAcknowledged } = service!;
    expect({ provider, serviceType, url, model, verifiability, teeSignerAddress, teeSignerAcknowledged }).to.deep.equal({
      provider: devnet.providerAddress,
      serviceType: "chatbot",
      url: devnet.url,
      model: MODEL_NAME,
      verifiability: "TeeML",
      teeSignerAddress: devnet.teeSigner,
      teeSignerAcknowledged: true,
    });
    expect(service!.inputPrice).to.equal(1_000_000_000n);
    expect(service!.outputPrice).to.equal(2_000_000_000n);
  });

  it("funds a ledger in 0G and acknowledges the provider (sub-account of 1 0G)", async () => {
    await sdk(() => broker.ledger.addLedger(3));
    await sdk(() => broker.ledger.depositFund(10));
    expect((await broker.ledger.getLedger()).totalBalance).to.equal(parseEther("13"));
    await sdk(() => broker.inference.acknowledgeProviderSigner(devnet.providerAddress));
    expect(await broker.inference.acknowledged(devnet.providerAddress)).to.equal(true);
    const account = await broker.inference.getAccount(devnet.providerAddress);
    expect(account.balance).to.equal(parseEther("1"));
    expect((await broker.ledger.getLedger()).availableBalance).to.equal(parseEther("12"));
  });

  it("answers a chat completion with the model, signs exactly the bytes exchanged under a fresh key, and settles the exact fee when asked", async () => {
    const { endpoint, model } = await broker.inference.getServiceMetadata(devnet.providerAddress);
    expect(endpoint).to.equal(`${devnet.url}/v1/proxy`);
    expect(model).to.equal(MODEL_NAME);
    // getRequestHeaders tops the sub-account up to unsettled + 2 0G first (one transfer).
    const headers = await sdk(() => broker.inference.getRequestHeaders(devnet.providerAddress));
    expect((await broker.inference.getAccount(devnet.providerAddress)).balance).to.equal(parseEther("2"));

    const row = [2.5, 0.75, 9];
    const question = `Classify this sample: ${JSON.stringify(row)}`;
    const requestText = JSON.stringify({ model, messages: [{ role: "user", content: question }] });
    const res = await fetch(`${endpoint}/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json", Authorization: headers.Authorization },
      body: requestText,
    });
    const responseText = await res.text();
    expect(res.status, responseText).to.equal(200);
    const reply = JSON.parse(responseText) as ChatReply;
    // The signature key is a fresh UUID, not the completion's id (as real providers do now).
    const resKey = res.headers.get("ZG-Res-Key")!;
    expect(resKey).to.match(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(reply.id)
      .to.match(/^chatcmpl-/)
      .and.not.equal(resKey);
    const signed = (await (await fetch(`${devnet.url}/v1/proxy/signature/${resKey}?model=${MODEL_NAME}`)).json()) as {
      text: string;
      signature: string;
    };
    expect(signed.text).to.equal(`${sha256hex(requestText)}:${sha256hex(responseText)}`);
    expect(verifyMessage(signed.text, signed.signature)).to.equal(devnet.teeSigner);
    expect((await fetch(`${devnet.url}/v1/proxy/signature/${reply.id}?model=${MODEL_NAME}`)).status).to.equal(404);
    const p = predictProba(linearModel(MODEL), row, 1, 3)[0]!;
    expect(reply.choices[0]!.message.content).to.equal(`prediction: ${p > 0.5 ? 1 : 0}, probability: ${p.toFixed(4)}`);
    expect(reply.usage.prompt_tokens).to.equal(countTokens(question));
    expect(reply.usage.completion_tokens).to.equal(countTokens(reply.choices[0]!.message.content));
    const fee = feeOf(reply.usage, { inputPrice: 1_000_000_000n, outputPrice: 2_000_000_000n });

    expect(await broker.inference.processResponse(devnet.providerAddress, resKey, JSON.stringify(reply.usage))).to.equal(true);

    // Nothing settles until the provider's schedule (here: asked) says so.
    expect(devnet.settlements).to.have.length(0);
    expect(devnet.unsettled(user.address)).to.equal(fee);
    const unsettled = await fetch(`${devnet.url}/v1/user/${user.address}/unsettledfee`, {
      headers: { Authorization: headers.Authorization },
    });
    expect(await unsettled.json()).to.deep.equal({ unsettledFee: fee.toString() });

    const ledgerBefore = (await broker.ledger.getLedger()).totalBalance;
    const accountBefore = await broker.inference.getAccount(devnet.providerAddress);
    const [record] = await devnet.settle();
    expect(record).to.include({ user: user.address, totalFee: fee, status: "success", nonce: accountBefore.nonce + 1n });
    expect(record!.chats).to.deep.equal([resKey]);
    const accountAfter = await broker.inference.getAccount(devnet.providerAddress);
    expect(ledgerBefore - (await broker.ledger.getLedger()).totalBalance).to.equal(fee);
    expect(accountBefore.balance - accountAfter.balance).to.equal(fee);
    expect(accountAfter.nonce).to.equal(record!.nonce);
    const after = await fetch(`${devnet.url}/v1/user/${user.address}/unsettledfee`, { headers: { Authorization: headers.Authorization } });
    expect(await after.json()).to.deep.equal({ unsettledFee: "0" });
  });

  it("answers anything that is not a feature vector with how to ask, naming the feature count", async () => {
    const headers = await sdk(() => broker.inference.getRequestHeaders(devnet.providerAddress));
    const hello = await post(chatUrl(), headers.Authorization, { messages: [{ role: "user", content: "hello, what can you do?" }] });
    expect((hello.json as ChatReply).choices[0]!.message.content).to.contain("Send the 3 feature values");
    const short = await post(chatUrl(), headers.Authorization, { messages: [{ role: "user", content: "[1, 2]" }] });
    expect((short.json as ChatReply).choices[0]!.message.content).to.contain("takes 3 features per sample, but a row has 2");
    const batch = await post(chatUrl(), headers.Authorization, {
      messages: [{ role: "user", content: [{ type: "text", text: "[[1,2,3],[0,0,0]]" }] }],
    });
    expect((batch.json as ChatReply).choices[0]!.message.content.split("\n")).to.have.length(2);
    const wrongModel = await post(chatUrl(), headers.Authorization, { model: "gpt-4", messages: [{ role: "user", content: "[1,2,3]" }] });
    expect(wrongModel.status).to.equal(400);
    expect((wrongModel.json as { error: string }).error).to.contain(`this provider serves "${MODEL_NAME}"`);
  });

  it("rejects a tampered, forged or missing token with 401 and the reason", async () => {
    const headers = await sdk(() => broker.inference.getRequestHeaders(devnet.providerAddress));
    const [raw, signature] = Buffer.from(headers.Authorization.slice("Bearer app-sk-".length), "base64").toString("utf8").split("|");
    const tampered = JSON.stringify({ ...JSON.parse(raw!), expiresAt: JSON.parse(raw!).expiresAt + 1 });
    const body = { messages: [{ role: "user", content: "[1,2,3]" }] };
    const cases: [string | undefined, string][] = [
      [`Bearer app-sk-${Buffer.from(tampered + "|" + signature).toString("base64")}`, "signature mismatch"],
      ["Bearer app-sk-not*base64", "not base64"],
      [`Bearer app-sk-${Buffer.from("no separator").toString("base64")}`, `found no "|"`],
      ["Bearer sk-123", "must start with"],
      [undefined, "missing"],
      [await sessionHeader(user, user.address), `issued for provider ${user.address}`],
    ];
    for (const [authorization, reason] of cases) {
      const { status, json } = await post(chatUrl(), authorization, body);
      expect(status, reason).to.equal(401);
      expect((json as { error: string }).error)
        .to.contain("invalid token")
        .and.contain(reason);
    }
    const expired = await post(chatUrl(), await sessionHeader(user, devnet.providerAddress, { ageMs: 2 * 3_600_000 }), body);
    expect(expired.status).to.equal(401);
    expect((expired.json as { error: string }).error).to.match(/^token expired at /);
  });

  it("rejects tokens from before revokeAllTokens (generation bump) and accepts fresh ones", async () => {
    const old = await sdk(() => broker.inference.getRequestHeaders(devnet.providerAddress));
    await sdk(() => broker.inference.revokeAllTokens(devnet.providerAddress));
    const body = { messages: [{ role: "user", content: "[1,2,3]" }] };
    const rejected = await post(chatUrl(), old.Authorization, body);
    expect(rejected.status).to.equal(401);
    expect((rejected.json as { error: string }).error)
      .to.contain("token revoked")
      .and.contain("generation 0")
      .and.contain("generation 1");
    const fresh = await sdk(() => broker.inference.getRequestHeaders(devnet.providerAddress));
    expect((await post(chatUrl(), fresh.Authorization, body)).status).to.equal(200);
  });

  it("rejects a user without a sub-account with 402 AccountNotExists", async () => {
    const stranger = new Wallet(Wallet.createRandom().privateKey);
    const { status, json } = await post(chatUrl(), await sessionHeader(stranger, devnet.providerAddress), {
      messages: [{ role: "user", content: "[1,2,3]" }],
    });
    expect(status).to.equal(402);
    expect((json as { error: string }).error)
      .to.contain("AccountNotExists")
      .and.contain(stranger.address);
  });

  it("rejects with 402 Insufficient balance when the ledger cannot top up the sub-account", async () => {
    const poor = await fundedWallet();
    const poorBroker = await brokerFor(poor);
    await sdk(() => poorBroker.ledger.addLedger(3));
    await sdk(() => poorBroker.inference.acknowledgeProviderSigner(devnet.providerAddress));
    await sdk(() => poorBroker.ledger.refund(2)); // the ledger keeps nothing to transfer
    // The SDK's automatic top-up fails (it only warns) and it hands out the header anyway.
    const headers = await sdk(() => poorBroker.inference.getRequestHeaders(devnet.providerAddress));
    expect((await poorBroker.inference.getAccount(devnet.providerAddress)).balance).to.equal(parseEther("1"));
    const { status, json } = await post(chatUrl(), headers.Authorization, { messages: [{ role: "user", content: "[1,2,3]" }] });
    expect(status).to.equal(402);
    expect((json as { error: string }).error)
      .to.contain("Insufficient balance")
      .and.contain("minimum locked balance 1 0G");
  });

  it("fails processResponse when the provider signs with a key other than its TEE signer", async () => {
    const headers = await sdk(() => broker.inference.getRequestHeaders(devnet.providerAddress));
    faults.wrongSignature = true;
    try {
      const { status, json, resKey } = await post(chatUrl(), headers.Authorization, { messages: [{ role: "user", content: "[1,2,3]" }] });
      expect(status).to.equal(200);
      const reply = json as ChatReply;
      const sig = (await (await fetch(`${devnet.url}/v1/proxy/signature/${resKey}?model=${MODEL_NAME}`)).json()) as {
        signing_address: string;
      };
      expect(sig.signing_address).to.not.equal(devnet.teeSigner);
      expect(await broker.inference.processResponse(devnet.providerAddress, resKey!, JSON.stringify(reply.usage))).to.equal(false);
    } finally {
      faults.wrongSignature = false;
    }
    expect((await fetch(`${devnet.url}/v1/proxy/signature/chatcmpl-unknown`)).status).to.equal(404);
  });

  it("can sign a text for other bodies (fault): the SDK's processResponse accepts it, the plugin's exchange check does not", async () => {
    const headers = await sdk(() => broker.inference.getRequestHeaders(devnet.providerAddress));
    const requestText = JSON.stringify({ messages: [{ role: "user", content: "[1,2,3]" }] });
    faults.signOtherBodies = true;
    let res: Response;
    try {
      res = await fetch(chatUrl(), {
        method: "POST",
        headers: { "content-type": "application/json", Authorization: headers.Authorization },
        body: requestText,
      });
    } finally {
      faults.signOtherBodies = false;
    }
    const responseText = await res.text();
    const resKey = res.headers.get("ZG-Res-Key")!;
    const usage = JSON.stringify((JSON.parse(responseText) as ChatReply).usage);
    // The SDK only checks who signed, and the right key did sign…
    expect(await broker.inference.processResponse(devnet.providerAddress, resKey, usage)).to.equal(true);
    // …but not these bodies.
    const service = (await readService(inferenceContract(devnet.contracts.inference, rpc), devnet.providerAddress))!;
    const exchange = { requestBody: Buffer.from(requestText), responseBody: Buffer.from(responseText), chatKey: resKey };
    const check = checkExchange(exchange, await fetchResponseSignature(service, resKey), service);
    expect(check).to.include({
      verdict: "text-mismatch",
      signer: devnet.teeSigner,
      expectedText: `${sha256hex(requestText)}:${sha256hex(responseText)}`,
    });
    expect(check.signedText).to.not.equal(check.expectedText);
    // The same check passes for an honest answer, and names a wrong signer as such.
    const honest = await post(chatUrl(), headers.Authorization, { messages: [{ role: "user", content: "[1,2,3]" }] });
    const honestKey = honest.resKey!;
    const doc = await fetchResponseSignature(service, honestKey);
    const honestBytes = {
      requestBody: Buffer.from(JSON.stringify({ messages: [{ role: "user", content: "[1,2,3]" }] })),
      responseBody: Buffer.from(JSON.stringify(honest.json)),
      chatKey: honestKey,
    };
    expect(checkExchange(honestBytes, doc, service).verdict).to.equal("ok");
    const impostor = Wallet.createRandom();
    expect(checkExchange(honestBytes, { text: doc.text, signature: await impostor.signMessage(doc.text) }, service)).to.include({
      verdict: "wrong-signer",
      signer: impostor.address,
    });
    expect(checkExchange(honestBytes, doc, { ...service, teeSignerAcknowledged: false }).verdict).to.equal("signer-not-acknowledged");
  });

  it("settles in batches on the provider's own schedule: every N requests, or a while after the first unpaid one", async () => {
    const signers = await connection.ethers.getSigners();
    const batched = await startComputeProvider({
      connection,
      contracts: devnet.contracts,
      providerSigner: signers[4]!,
      teeKey: Wallet.createRandom().privateKey,
      model: MODEL_NAME,
      answer: modelAnswerer(MODEL),
      settlement: { mode: "batch", every: 2, intervalMs: 1_500 },
    });
    extra.push(batched);
    await sdk(() => broker.inference.acknowledgeProviderSigner(batched.providerAddress));
    const headers = await sdk(() => broker.inference.getRequestHeaders(batched.providerAddress));
    const url = `${batched.url}/v1/proxy/chat/completions`;
    const ask = async () => {
      const r = await post(url, headers.Authorization, { messages: [{ role: "user", content: "[1,2,3]" }] });
      expect(r.status).to.equal(200);
      return { key: r.resKey!, fee: feeOf((r.json as ChatReply).usage, { inputPrice: 1_000_000_000n, outputPrice: 2_000_000_000n }) };
    };
    const nonce = async () => (await broker.inference.getAccount(batched.providerAddress)).nonce;
    const nonce0 = await nonce();

    // Right after one request: owed, not settled.
    const first = await ask();
    expect(batched.unsettled(user.address)).to.equal(first.fee);
    expect(batched.settlements).to.have.length(0);
    expect(await nonce()).to.equal(nonce0);

    // The second request completes the batch: one settlement for both, without anyone asking.
    const second = await ask();
    await until(() => batched.settlements.length === 1, "the batch of 2 to settle");
    expect(batched.settlements[0]).to.deep.include({
      user: user.address,
      status: "success",
      totalFee: first.fee + second.fee,
      chats: [first.key, second.key],
    });
    expect(await nonce()).to.equal(nonce0 + 1n);
    expect(batched.unsettled(user.address)).to.equal(0n);

    // A lone request waits for the timer.
    const third = await ask();
    expect(batched.settlements).to.have.length(1);
    await until(() => batched.settlements.length === 2, "the timer (1.5 s) to settle a lone request");
    expect(batched.settlements[1]).to.deep.include({ totalFee: third.fee, chats: [third.key] });
    expect(batched.settlementError).to.equal(undefined);
  });

  it("triggers settlement by schedule: immediate after each answer, manual never on its own, batch at N", async () => {
    const runs = (schedule: ConstructorParameters<typeof SettlementTrigger>[0], answers: number) => {
      let count = 0;
      const trigger = new SettlementTrigger(
        schedule,
        async () => void count++,
        () => {},
      );
      for (let i = 0; i < answers; i++) trigger.answered();
      trigger.stop();
      return count;
    };
    expect(runs({ mode: "immediate" }, 3)).to.equal(3);
    expect(runs({ mode: "manual" }, 25)).to.equal(0);
    expect(runs({ mode: "batch", every: 4 }, 9)).to.equal(2);
    expect(runs({ mode: "batch", intervalMs: 60_000 }, 9)).to.equal(0); // the timer has not fired (and stop() cleared it)
  });

  it("refuses a batched schedule without a size or interval, or with a non-positive one", async () => {
    const settle = async () => undefined;
    expect(() => new SettlementTrigger({ mode: "batch" }, settle, () => {})).to.throw(/every \(requests\) or intervalMs/);
    expect(() => new SettlementTrigger({ mode: "batch", every: 0 }, settle, () => {})).to.throw(/whole positive numbers/);
    expect(() => new SettlementTrigger({ mode: "batch", intervalMs: 1.5 }, settle, () => {})).to.throw(/whole positive numbers/);
  });

  it("opens ledgers at the SDK's minimum: MIN_LEDGER_BALANCE_OG is still 3 0G", () => {
    const sdkMinimum = (broker.ledger.ledger.constructor as unknown as { MIN_LEDGER_BALANCE_OG: unknown }).MIN_LEDGER_BALANCE_OG;
    expect(sdkMinimum).to.equal(MIN_LEDGER_OG);
  });

  it("passes the SDK's verifyService: the quote carries the TEE signer and a consistent compose hash", async () => {
    const dir = await tempDir("flai-compute-quote-");
    folders.push(dir);
    const result = await sdk(() => broker.inference.verifyService(devnet.providerAddress, dir));
    expect(result!.signerVerification).to.deep.include({ contractAddress: devnet.teeSigner, allMatch: true });
    expect(result!.composeVerification!.passed).to.equal(true);
    const models = (await (await fetch(`${devnet.url}/v1/models`)).json()) as { data: { id: string }[] };
    expect(models.data.map((m) => m.id)).to.deep.equal([MODEL_NAME]);
  });

  it("hides a provider whose TEE signer the owner has not acknowledged; the SDK and the provider refuse it", async () => {
    const signers = await connection.ethers.getSigners();
    const unacknowledged = await startComputeProvider({
      connection,
      contracts: devnet.contracts,
      providerSigner: signers[3]!,
      teeKey: Wallet.createRandom().privateKey,
      model: "unacknowledged-model",
      answer: () => ({ content: "never" }),
      acknowledge: false,
    });
    extra.push(unacknowledged);
    const visible = (await broker.inference.listService()).map((s) => s.provider);
    expect(visible).to.not.include(unacknowledged.providerAddress);
    const all = (await broker.inference.listService(0, 50, true)).map((s) => s.provider);
    expect(all).to.include(unacknowledged.providerAddress);

    // Sub-accounts are acknowledged from creation, so the SDK hands out headers (after moving 2 0G
    // into a sub-account with this unlisted provider); the provider and processResponse refuse.
    const headers = await sdk(() => broker.inference.getRequestHeaders(unacknowledged.providerAddress));
    expect((await broker.inference.getAccount(unacknowledged.providerAddress)).balance).to.equal(parseEther("2"));
    const { status, json } = await post(`${unacknowledged.url}/v1/proxy/chat/completions`, headers.Authorization, {
      messages: [{ role: "user", content: "hi" }],
    });
    expect(status).to.equal(401);
    expect((json as { error: string }).error).to.contain("not acknowledged by the contract owner");
    const usage = JSON.stringify({ prompt_tokens: 1, completion_tokens: 1 });
    expect(await sdk(() => broker.inference.processResponse(unacknowledged.providerAddress, "chatcmpl-any", usage))).to.equal(false);
  });

  it("reuses the contracts it finds and re-registers the provider without a second stake", async () => {
    const { hre } = await tempProject();
    const other = await hre.network.create();
    const first = await startComputeDevnet(other, { model: "m1", answer: () => ({ content: "a" }) });
    await first.close();
    const second = await startComputeDevnet(other, { model: "m2", answer: () => ({ content: "b" }) });
    try {
      expect(second.contracts).to.deep.equal(first.contracts);
      const inference = inferenceContract(second.contracts.inference, other.ethers.provider);
      expect((await inference.getAllServices!(0, 50)).total).to.equal(1n);
      const service = await readService(inference, second.providerAddress);
      expect(service).to.include({ url: second.url, model: "m2", teeSignerAddress: second.teeSigner, teeSignerAcknowledged: true });
      // Stake 100 0G once: the provider paid it with the first registration only.
      expect(await other.ethers.provider.getBalance(second.contracts.inference)).to.equal(parseEther("100"));
    } finally {
      await second.close();
      await other.close();
    }
  });

  it("lands elsewhere (builtIn: false) when account #0 has sent a transaction before", async () => {
    const { hre } = await tempProject();
    const other = await hre.network.create();
    const [owner] = await other.ethers.getSigners();
    await (await owner!.sendTransaction({ to: owner!.address, value: 0n })).wait();
    const contracts = await deployComputeContracts(owner!);
    expect(contracts.builtIn).to.equal(false);
    expect(contracts.ledger).to.not.equal(CONTRACT_ADDRESSES.hardhat.ledger);
    expect(await findComputeContracts(other.ethers.provider)).to.equal(undefined);
    await other.close();
  });
});
