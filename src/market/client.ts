import { readFile } from "node:fs/promises";

import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { CONTRACT_ADDRESSES, createZGComputeNetworkBroker, type ZGComputeNetworkBroker } from "@0gfoundation/0g-compute-ts-sdk";
import { getAddress, parseUnits, type Wallet } from "ethers";

import { parse0G } from "../amount.js";
import { useConnection, type FlaiConnection } from "../connection.js";
import { flaiError } from "../errors.js";
import { chainIdOf, hasCode } from "../jobs/deployment.js";
import { chainHistoryKey, computeDevnetRecord } from "../devnet/state.js";

import { quietly } from "../util/sdk-console.js";
import { unrefLongTimers } from "../util/sdk-timers.js";

import { explainMarketError } from "./errors.js";
import { ledgerContract } from "./ledger-contract.js";
import type { ChatAnswer, ComputeContracts, LedgerView, MarketOptions, PingResult, ProviderInfo, SetupResult } from "./types.js";
import { walletFor } from "./wallet.js";

/** The contract's minimum to open a ledger (the SDK enforces the same). */
const MIN_LEDGER = parseUnits("3", 18);
const SETTLEMENT_WAIT_MS = 10_000;

/** `hre.flai.market`: the 0G serving marketplace through the official compute SDK. */
export class FlaiMarket {
  readonly #hre: HardhatRuntimeEnvironment;
  readonly #brokers = new WeakMap<FlaiConnection, Map<number, Promise<{ broker: ZGComputeNetworkBroker; wallet: Wallet; ledgerAddress: string }>>>();

  constructor(hre: HardhatRuntimeEnvironment) {
    this.#hre = hre;
  }

  /** Providers on the marketplace, with endpoint, model and prices (neuron per token). */
  async discover(opts: MarketOptions = {}): Promise<ProviderInfo[]> {
    const { broker } = await this.#broker(opts);
    const services = await guard("listing providers", () => broker.inference.listService(0, 50, false));
    return services.map((s) => ({
      provider: getAddress(s.provider),
      model: s.model,
      serviceType: s.serviceType,
      verifiability: s.verifiability,
      endpoint: `${s.url}/v1/proxy`,
      inputPrice: s.inputPrice,
      outputPrice: s.outputPrice,
      teeSigner: s.teeSignerAddress,
      teeSignerAcknowledged: s.teeSignerAcknowledged,
    }));
  }

  /** This account's ledger, or undefined when it has none yet. */
  async ledger(opts: MarketOptions = {}): Promise<LedgerView | undefined> {
    const { wallet, ledgerAddress } = await this.#broker(opts);
    const ledger = ledgerContract(ledgerAddress, wallet);
    try {
      const l = (await ledger.getLedger(wallet.address)) as { totalBalance: bigint; availableBalance: bigint };
      return { total: l.totalBalance, available: l.availableBalance };
    } catch {
      return undefined;
    }
  }

  /**
   * Ensures the ledger holds at least `ledger` 0G (exact decimal) and that the provider's TEE signer is
   * acknowledged. Idempotent: sends nothing when both already hold.
   */
  async setup(opts: MarketOptions & { ledger: string; provider: string }): Promise<SetupResult> {
    const want = parse0G(opts.ledger, "--ledger");
    const provider = parseProvider(opts.provider);
    const { broker, wallet, ledgerAddress } = await this.#broker(opts);
    const before = await this.ledger(opts);
    const ledger = ledgerContract(ledgerAddress, wallet);
    let deposited = 0n;
    if (before === undefined) {
      // Opening a ledger takes the contract's minimum even when less is asked for.
      deposited = want > MIN_LEDGER ? want : MIN_LEDGER;
      await guard("opening the ledger", async () => (await ledger.addLedger("", { value: deposited })).wait());
    } else if (before.total < want) {
      deposited = want - before.total;
      await guard("funding the ledger", async () => (await ledger.depositFund({ value: deposited })).wait());
    }
    const already = await broker.inference.acknowledged(provider).catch(() => false);
    if (!already) {
      await guard(`acknowledging provider ${provider}`, () => broker.inference.acknowledgeProviderSigner(provider));
    }
    return { provider, ledgerBefore: before, ledger: (await this.ledger(opts))!, deposited, acknowledged: { already } };
  }

  /** One paid request: metadata → auth headers → chat completion → verification → settlement. */
  async ping(opts: MarketOptions & { provider: string; prompt: string }): Promise<PingResult> {
    const provider = parseProvider(opts.provider);
    const { broker } = await this.#broker(opts);
    const ledgerBefore = await this.ledger(opts);
    if (ledgerBefore === undefined) {
      throw flaiError(`AccountNotExists: this account has no 0G compute ledger yet. Run \`npx hardhat flai:market-setup --provider ${provider}\` first.`);
    }
    const { endpoint, model } = await this.metadata({ ...opts, provider });
    const headers = await this.requestHeaders({ ...opts, provider });
    const chat = await this.chat({ ...opts, provider, prompt: opts.prompt, headers });
    const verified =
      (await guard("verifying the response", () => broker.inference.processResponse(provider, chat.chatId, JSON.stringify(chat.usage)))) === true;
    const ledgerAfter = await this.#settled(opts, ledgerBefore);
    return { provider, endpoint, model, ...chat, verified, ledgerBefore, ledgerAfter, fee: ledgerBefore.total - ledgerAfter.total };
  }

  /** The provider's OpenAI-compatible endpoint and model. */
  async metadata(opts: MarketOptions & { provider: string }): Promise<{ endpoint: string; model: string }> {
    const { broker } = await this.#broker(opts);
    return guard("reading the provider's metadata", () => broker.inference.getServiceMetadata(parseProvider(opts.provider)));
  }

  /** Signed session headers for the provider (the SDK may top up the provider sub-account first). */
  async requestHeaders(opts: MarketOptions & { provider: string }): Promise<Record<string, string>> {
    const { broker } = await this.#broker(opts);
    const headers = await guard("generating auth headers", () => broker.inference.getRequestHeaders(parseProvider(opts.provider)));
    return headers as unknown as Record<string, string>;
  }

  /** Invalidates every session token this account issued for the provider (on-chain generation bump). */
  async revokeTokens(opts: MarketOptions & { provider: string }): Promise<void> {
    const { broker } = await this.#broker(opts);
    await guard("revoking session tokens", () => broker.inference.revokeAllTokens(parseProvider(opts.provider)));
  }

  /** One OpenAI-compatible chat completion with the given headers; a refusal is a clear error. */
  async chat(opts: MarketOptions & { provider: string; prompt: string; headers: Record<string, string> }): Promise<ChatAnswer> {
    const { endpoint, model } = await this.metadata(opts);
    let response: Response;
    try {
      response = await fetch(`${endpoint}/chat/completions`, {
        method: "POST",
        headers: { "Content-Type": "application/json", ...opts.headers },
        body: JSON.stringify({ model, messages: [{ role: "user", content: opts.prompt }] }),
      });
    } catch (error) {
      throw flaiError(`The provider at ${endpoint} cannot be reached (${(error as Error).message}). Is it running?`, error);
    }
    const body = (await response.json().catch(() => ({}))) as {
      id?: string;
      error?: string;
      choices?: Array<{ message?: { content?: string } }>;
      usage?: { prompt_tokens: number; completion_tokens: number };
    };
    if (!response.ok) {
      throw explainMarketError(new Error(`HTTP ${response.status}: ${body.error ?? response.statusText}`), `calling ${endpoint}`);
    }
    return {
      answer: body.choices?.[0]?.message?.content ?? "",
      chatId: response.headers.get("ZG-Res-Key") ?? body.id ?? "",
      usage: body.usage ?? { prompt_tokens: 0, completion_tokens: 0 },
    };
  }

  /** The provider settles on its own schedule: wait (bounded) for the ledger to move. */
  async #settled(opts: MarketOptions, before: LedgerView): Promise<LedgerView> {
    const until = Date.now() + SETTLEMENT_WAIT_MS;
    for (;;) {
      const now = (await this.ledger(opts))!;
      if (now.total !== before.total || Date.now() > until) {
        return now;
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }

  async #broker(opts: MarketOptions) {
    const connection = await useConnection(this.#hre, opts.connection);
    const account = opts.account ?? 0;
    let perAccount = this.#brokers.get(connection);
    if (perAccount === undefined) {
      perAccount = new Map();
      this.#brokers.set(connection, perAccount);
    }
    let pending = perAccount.get(account);
    if (pending === undefined) {
      pending = (async () => {
        const contracts = opts.contracts ?? (await this.#knownContracts(connection));
        const wallet = await walletFor(connection, account);
        // The SDK is typed against ethers' CommonJS build; the object is the same at run time.
        const broker = await guard("connecting to the 0G compute network", () =>
          createZGComputeNetworkBroker(wallet as never, contracts?.ledger, contracts?.inference, contracts?.fineTuning),
        );
        const chainId = await chainIdOf(connection);
        const ledgerAddress = contracts?.ledger ?? (chainId === 16661n ? CONTRACT_ADDRESSES.mainnet.ledger : CONTRACT_ADDRESSES.testnet.ledger);
        return { broker, wallet, ledgerAddress };
      })();
      perAccount.set(account, pending);
      pending.catch(() => perAccount.delete(account));
    }
    return pending;
  }

  /** On a local chain: the stand-in flai:devnet recorded; on 0G chains: the SDK's own addresses. */
  async #knownContracts(connection: FlaiConnection): Promise<ComputeContracts | undefined> {
    const chainId = await chainIdOf(connection);
    if (chainId === 16602n || chainId === 16661n) {
      return undefined;
    }
    const record = computeDevnetRecord(this.#hre.config.paths.root, await chainHistoryKey(connection.provider));
    try {
      const contracts = JSON.parse(await readFile(record, "utf8")) as ComputeContracts;
      if (await hasCode(connection, contracts.inference)) {
        return contracts;
      }
    } catch {
      // no record: fall through
    }
    throw flaiError(
      `No 0G serving contracts are known on network "${connection.networkName}" (chain ${chainId}). ` +
        `Start the local stand-in: \`npx hardhat flai:devnet --network ${connection.networkName}\`, or use --network galileo.`,
    );
  }
}

function parseProvider(value: string): string {
  try {
    return getAddress(value);
  } catch {
    throw flaiError(`--provider must be a provider's 0x address (see flai:market-discover), got "${value}".`);
  }
}

/** Every SDK call: silenced, its stray long timers unref'd, its failure explained. */
async function guard<T>(what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await quietly(() => unrefLongTimers(fn));
  } catch (error) {
    throw explainMarketError(error, what);
  }
}
