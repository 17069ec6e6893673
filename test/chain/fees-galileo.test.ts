import { rm } from "node:fs/promises";
import path from "node:path";

import { expect } from "chai";
import { Contract, HDNodeWallet, Interface, JsonRpcProvider, Mnemonic, Wallet } from "ethers";
import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import type { FlaiConnection } from "../../src/chain/connection.js";
import { serveChain } from "../../src/chain/chain-server.js";
import { modelAnswerer } from "../../src/devnet/compute/model-answerer.js";
import { startComputeDevnet, type ComputeDevnet } from "../../src/devnet/compute-devnet.js";
import { startStorageDevnet, type StorageDevnet } from "../../src/devnet/storage-devnet.js";
import { GWEI } from "../../src/chain/fees.js";
import { zeroGStorageFor } from "../../src/storage/create.js";
import { sendTx } from "../../src/chain/tx.js";
import { sampleModel } from "../../src/cli/market-network.js";

import { GALILEO_MIN_TIP, GALILEO_TIP_ERROR, startFeeProxy, type FeeProxy, type SeenTx } from "../helpers/fee-proxy.js";
import { FIXTURES, tempDir, tempProject } from "../helpers/project.js";

const DATA = path.join(FIXTURES, "data.json");
const MODEL = path.join(FIXTURES, "model.json");
const GALILEO_CHAIN_ID = 16602;
const MARKET = new Interface([
  "function addLedger(string)",
  "function transferFund(address,string,uint256)",
  "function acknowledgeTEESigner(address,bool)",
]);

/** Hardhat's public development keys (the in-process chain funds them); not secrets. */
const DEV_KEYS = [0, 1, 2, 3].map(
  (i) =>
    HDNodeWallet.fromMnemonic(Mnemonic.fromPhrase("test test test test test test test test test test test junk"), `m/44'/60'/0'/0/${i}`)
      .privateKey,
);

/** Every transaction `run` sends reaches the chain (none refused) and tips at least Galileo's 2 gwei. */
async function sentThrough(proxy: FeeProxy, run: () => Promise<unknown>): Promise<SeenTx[]> {
  const [accepted, rejected] = [proxy.accepted.length, proxy.rejected.length];
  await run();
  expect(proxy.rejected.slice(rejected), "refused by the Galileo fee rule").to.deep.equal([]);
  const sent = proxy.accepted.slice(accepted);
  expect(sent.length).to.be.greaterThan(0);
  for (const tx of sent) {
    expect(tx.tip >= GALILEO_MIN_TIP, `tip ${tx.tip} of ${tx.selector} to ${tx.to}`).to.equal(true);
  }
  return sent;
}

describe("fees on a chain that behaves like 0G Galileo (1 wei suggested tip, 2 gwei minimum)", function () {
  this.timeout(300_000);
  let chainHre: HardhatRuntimeEnvironment;
  let chainConnection: FlaiConnection;
  let chain: { url: string; close(): Promise<void> };
  let proxy: FeeProxy;
  let hre: HardhatRuntimeEnvironment;
  let root: string;
  let chainRoot: string;
  let galileo: FlaiConnection; // declares chain id 16602, signs locally (eth_sendRawTransaction)
  let undeclared: FlaiConnection; // same chain, no chain id in its config
  let remote: FlaiConnection; // same chain, the node signs (eth_sendTransaction)
  let storageDevnet: StorageDevnet | undefined;
  let computeDevnet: ComputeDevnet | undefined;
  const folders: string[] = [];

  before(async () => {
    // The real chain: Hardhat's simulated network with Galileo's chain id, served over HTTP.
    ({ hre: chainHre, root: chainRoot } = await tempProject({ networks: { chain: { type: "edr-simulated", chainId: GALILEO_CHAIN_ID } } }));
    chainConnection = await chainHre.network.create("chain");
    chain = await serveChain(chainConnection.provider);
    proxy = await startFeeProxy(chain.url);
    ({ hre, root } = await tempProject({
      networks: {
        galileoLike: { type: "http", url: proxy.url, chainId: GALILEO_CHAIN_ID, accounts: DEV_KEYS },
        undeclared: { type: "http", url: proxy.url, accounts: DEV_KEYS },
        remote: { type: "http", url: proxy.url, chainId: GALILEO_CHAIN_ID },
      },
    }));
    galileo = await hre.network.create("galileoLike");
    undeclared = await hre.network.create("undeclared");
    remote = await hre.network.create("remote");
  });

  after(async () => {
    await storageDevnet?.close();
    await computeDevnet?.close();
    for (const c of [galileo, undeclared, remote, chainConnection]) await c?.close();
    await proxy?.close();
    await chain?.close();
    for (const dir of [root, chainRoot, ...folders]) if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  describe("without the policy the proxy refuses, as Galileo does", () => {
    it("Hardhat's own fee choice (eth_sendTransaction by the node's account)", async () => {
      const [signer] = await remote.ethers.getSigners();
      const error = await signer!.sendTransaction({ to: signer!.address, value: 1n }).then(
        () => undefined,
        (e: Error) => e,
      );
      expect(error?.message).to.contain(GALILEO_TIP_ERROR);
      expect(proxy.rejected.at(-1)).to.include({ via: "eth_sendTransaction", tip: 1n });
    });

    it("a locally signed EIP-1559 transaction with ethers' defaults, and a legacy one at eth_gasPrice (what the 0G SDKs send)", async () => {
      const provider = new JsonRpcProvider(proxy.url, undefined, { staticNetwork: true, cacheTimeout: -1 });
      try {
        const wallet = new Wallet(DEV_KEYS[3]!, provider);
        const eip1559 = await wallet.sendTransaction({ to: wallet.address, value: 1n }).then(
          () => undefined,
          (e: Error) => e,
        );
        expect(eip1559?.message).to.contain(GALILEO_TIP_ERROR);
        expect(proxy.rejected.at(-1)).to.include({ via: "eth_sendRawTransaction", type: 2, maxPriorityFeePerGas: 1n });
        const gasPrice = (await provider.getFeeData()).gasPrice!;
        const legacy = await wallet.sendTransaction({ to: wallet.address, value: 1n, gasPrice, type: 0 }).then(
          () => undefined,
          (e: Error) => e,
        );
        expect(legacy?.message).to.contain(GALILEO_TIP_ERROR);
        expect(proxy.rejected.at(-1)).to.include({ via: "eth_sendRawTransaction", type: 0, gasPrice, tip: 1n });
        // The compute SDK passes only gasPrice: ethers then sends EIP-1559 with both caps at that price.
        const sdkLike = await wallet.sendTransaction({ to: wallet.address, value: 1n, gasPrice }).then(
          () => undefined,
          (e: Error) => e,
        );
        expect(sdkLike?.message).to.contain(GALILEO_TIP_ERROR);
        expect(proxy.rejected.at(-1)).to.include({ type: 2, maxFeePerGas: gasPrice, maxPriorityFeePerGas: gasPrice, tip: 1n });
      } finally {
        provider.destroy();
      }
    });
  });

  describe("with the policy every kind of transaction the plugin sends goes through", () => {
    it("an Ignition deploy (flai:deploy) on a network declaring chain id 16602: the config carries the 2 gwei floor", async () => {
      expect(hre.config.networks.galileoLike!.ignition.maxPriorityFeePerGas).to.equal(2n * GWEI);
      const sent = await sentThrough(proxy, () => hre.flai.jobs.deploy({ connection: galileo }));
      const deploys = sent.filter((tx) => tx.to === null);
      expect(deploys.length).to.be.greaterThanOrEqual(2); // FLAIComputeJobs and FLAIFederated
      for (const tx of deploys) expect(tx).to.include({ type: 2, maxPriorityFeePerGas: 2n * GWEI });
    });

    it("a plugin call: submitting a job (sendTx, signed locally)", async () => {
      const sent = await sentThrough(proxy, () => hre.flai.jobs.submit({ data: DATA, model: MODEL, reward: "0.01", connection: galileo }));
      // A private job (the default) also registers the submitter's reader key and this machine's enclave first.
      expect(sent.length).to.be.greaterThanOrEqual(2);
      for (const tx of sent) expect(tx).to.include({ via: "eth_sendRawTransaction", type: 2, maxPriorityFeePerGas: 2n * GWEI });
    });

    it("sendTx through a node-signed account (eth_sendTransaction)", async () => {
      const { address } = await hre.flai.jobs.deployment({ connection: galileo });
      const [signer] = await remote.ethers.getSigners();
      const jobs = new Contract(address, ["function submitJob(bytes32,bytes32,uint40) payable returns (uint256)"], signer);
      const deadline = BigInt(Math.floor(Date.now() / 1000) + 3600);
      const sent = await sentThrough(proxy, () =>
        sendTx(jobs, "FLAIComputeJobs", "submitJob", ["0x" + "11".repeat(32), "0x" + "22".repeat(32), deadline], { value: GWEI }),
      );
      expect(sent[0]).to.include({ via: "eth_sendTransaction", type: 2, maxPriorityFeePerGas: 2n * GWEI });
    });

    it("an Ignition deploy on a network that does not declare its chain id (the storage devnet's Flow and Market)", async () => {
      expect(hre.config.networks.undeclared!.ignition.maxPriorityFeePerGas).to.equal(undefined);
      const dir = await tempDir("flai-fees-storage-");
      folders.push(dir);
      const sent = await sentThrough(
        proxy,
        async () => (storageDevnet = await startStorageDevnet(undeclared, { dir: path.join(dir, "node"), pollIntervalMs: 100 })),
      );
      for (const tx of sent.filter((t) => t.to === null)) expect(tx).to.include({ type: 2, maxPriorityFeePerGas: 2n * GWEI });
    });

    it("a 0G Storage SDK upload: its legacy submission is priced at base fee + 2 gwei", async () => {
      const storage = await zeroGStorageFor(galileo, hre.config.flai, { indexerUrl: storageDevnet!.url });
      const bytes = new TextEncoder().encode("fee policy upload " + "x".repeat(1000));
      const sent = await sentThrough(proxy, () => storage.upload(bytes));
      expect(sent).to.have.length(1);
      expect(sent[0]!.type).to.equal(0);
      expect(sent[0]!.gasPrice! - sent[0]!.baseFeePerGas >= 2n * GWEI).to.equal(true);
    });

    it("the marketplace: direct ledger calls (EIP-1559) and the compute SDK's own transactions (legacy)", async () => {
      // The stand-in provider and its contracts live on the chain itself (set up without the proxy).
      computeDevnet = await startComputeDevnet(chainConnection, {
        model: "flai/logistic-regression",
        answer: modelAnswerer(await sampleModel()),
      });
      const opts = { connection: galileo, contracts: computeDevnet.contracts, account: 2, provider: computeDevnet.providerAddress };
      const sent = await sentThrough(proxy, () => hre.flai.market.setup({ ...opts, ledger: "3" }));
      // addLedger is sent directly; transferFund and acknowledgeTEESigner by the SDK, at its legacy gas price
      // (which ethers turns into EIP-1559 with both caps at that price: the tip is price − base fee).
      const selectors = sent.map((tx) => tx.selector);
      expect(selectors).to.include.members(
        ["addLedger", "transferFund", "acknowledgeTEESigner"].map((name) => MARKET.getFunction(name)!.selector),
      );
      const bySdk = sent.filter((tx) => tx.selector !== MARKET.getFunction("addLedger")!.selector);
      for (const tx of bySdk) expect(tx.maxFeePerGas).to.equal(tx.maxPriorityFeePerGas);
      const more = await sentThrough(proxy, () => hre.flai.market.setup({ ...opts, ledger: "3.5" }));
      expect(more).to.have.length(1); // depositFund
      expect(more[0]).to.include({ type: 2, maxPriorityFeePerGas: 2n * GWEI });
    });
  });
});
