import { readFile } from "node:fs/promises";

import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { CONTRACT_ADDRESSES, createZGComputeNetworkBroker, type ZGComputeNetworkBroker } from "#0g-compute-sdk";
import { getAddress, type Wallet } from "ethers";

import { parse0G } from "../chain/amount.js";
import { useConnection, type FlaiConnection } from "../chain/connection.js";
import { flaiError } from "../errors.js";
import { sdkGasPrice } from "../chain/fee-data.js";
import { chainIdOf, hasCode } from "../chain/deployment.js";
import { chainHistoryKey, computeDevnetRecord } from "../devnet/state.js";

import { fetchWithin, isResponseTooLarge, sizeText } from "../util/http-body.js";
import { quietly } from "../util/sdk-console.js";
import { unrefLongTimers } from "../util/sdk-timers.js";

import { explainMarketError } from "./errors.js";
import { checkExchange, exchangeError, fetchResponseSignature } from "./exchange.js";
import { inferenceReader } from "./inference-reader.js";
import { ledgerContract } from "./ledger-contract.js";
import { ledgerDeposit } from "./ledger-minimum.js";
import { observeSettlement, type SettlementMark, type SettlementObservation } from "./settlement.js";
import type { ChatAnswer, ComputeContracts, LedgerView, MarketOptions, PingResult, ProviderInfo, SetupResult } from "./types.js";
import { walletFor } from "./wallet.js";

/**
 * What a provider's answers may be at most, and how long one may take: a chat answer (the model's
 * text, usage, ids) is kilobytes; a fee or a signature document far less. Past the limit the request
 * is aborted, so a faulty provider's endless answer is not read into memory.
 */
const MAX_CHAT_ANSWER_BYTES = 16 * 1024 * 1024;
const CHAT_TIMEOUT_MS = 300_000;
const SMALL_ANSWER_BYTES = 1024 * 1024;
const SMALL_ANSWER_MS = 30_000;

/** `hre.flai.market`: the 0G serving marketplace through the official compute SDK. */
export class FlaiMarket {
  readonly #hre: HardhatRuntimeEnvironment;
  /** Brokers per connection, then per marketplace (the caller's contracts object, or the known ones), then per account. */
  readonly #brokers = new WeakMap<FlaiConnection, WeakMap<object, Map<number, Promise<BrokerContext>>>>();
  /** Stands for "the contracts this network is known to have" in #brokers. */
  readonly #knownMarketplace = {};

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
      const l = (await ledger.getFunction("getLedger")(wallet.address)) as { totalBalance: bigint; availableBalance: bigint };
      return { total: l.totalBalance, available: l.availableBalance };
    } catch {
      return undefined;
    }
  }

  /**
   * Ensures the ledger holds at least `ledger` 0G (exact decimal) and that the provider's TEE signer is
   * acknowledged. Idempotent: sends nothing when both already hold. Without `ledger`, a new ledger
   * opens with the minimum (3 0G) and an existing one is left as it is; an explicit amount below the
   * minimum for a new ledger is an error before any transaction.
   */
  async setup(opts: MarketOptions & { ledger?: string; provider: string }): Promise<SetupResult> {
    const want = opts.ledger === undefined ? undefined : parse0G(opts.ledger, "--ledger");
    const provider = parseProvider(opts.provider);
    const { broker, wallet, ledgerAddress } = await this.#broker(opts);
    const before = await this.ledger(opts);
    const ledger = ledgerContract(ledgerAddress, wallet);
    const { deposit: deposited, openedWithMinimum } = ledgerDeposit(before?.total, want);
    if (before === undefined) {
      await guard("opening the ledger", async () => (await ledger.getFunction("addLedger")("", { value: deposited })).wait());
    } else if (deposited > 0n) {
      await guard("funding the ledger", async () => (await ledger.getFunction("depositFund")({ value: deposited })).wait());
    }
    const already = await broker.inference.acknowledged(provider).catch(() => false);
    if (!already) {
      const gasPrice = await sdkGasPrice(wallet.provider);
      await guard(`acknowledging provider ${provider}`, () => broker.inference.acknowledgeProviderSigner(provider, gasPrice));
    }
    return { provider, ledgerBefore: before, ledger: (await this.ledger(opts))!, deposited, openedWithMinimum, acknowledged: { already } };
  }

  /**
   * One paid request: metadata → auth headers → chat completion → verification. Throws unless both
   * the SDK's processResponse and the plugin's own check (the acknowledged TEE signer signed
   * sha256(request):sha256(response) of exactly these bytes) pass. Reports the fee owed and what the
   * chain shows settled meanwhile — providers settle in batches, so usually nothing yet.
   */
  async ping(opts: MarketOptions & { provider: string; prompt: string }): Promise<PingResult> {
    const provider = parseProvider(opts.provider);
    const { broker } = await this.#broker(opts);
    const ledgerBefore = await this.ledger(opts);
    if (ledgerBefore === undefined) {
      throw flaiError(
        `AccountNotExists: this account has no 0G compute ledger yet. Run \`npx hardhat flai:market-setup --provider ${provider}\` first.`,
      );
    }
    const mark = await this.settlementMark({ ...opts, provider });
    const { endpoint, model } = await this.metadata({ ...opts, provider });
    const headers = await this.requestHeaders({ ...opts, provider });
    const { exchange, ...chat } = await this.chat({ ...opts, provider, prompt: opts.prompt, headers });
    const sdkVerdict = await guard("verifying the response", () =>
      broker.inference.processResponse(provider, chat.chatId, JSON.stringify(chat.usage)),
    );
    const service = await this.#service(opts, provider);
    const check = checkExchange(exchange, await fetchResponseSignature(service, chat.chatId), service);
    if (check.verdict !== "ok") throw exchangeError(check, provider, chat.chatId);
    if (sdkVerdict !== true) {
      throw flaiError(
        `Invalid signature: the compute SDK's processResponse rejected the answer of provider ${provider} (chat ${chat.chatId}). Do not trust this answer.`,
      );
    }
    const unsettled = await this.unsettledFee({ ...opts, provider, headers });
    const settlement = await this.settlement({ ...opts, provider, since: mark });
    return {
      provider,
      endpoint,
      model,
      ...chat,
      verified: true,
      signature: { text: check.signedText, signer: check.signer! },
      fee: BigInt(chat.usage.prompt_tokens) * service.inputPrice + BigInt(chat.usage.completion_tokens) * service.outputPrice,
      unsettled,
      settlement,
      ledgerBefore,
      ledgerAfter: (await this.ledger(opts))!,
    };
  }

  /** Where settlement stands now: the sub-account's settlement nonce and the ledger total. */
  async settlementMark(opts: MarketOptions & { provider: string }): Promise<SettlementMark> {
    const { wallet } = await this.#broker(opts);
    const account = await (await this.#reader(opts)).account(wallet.address, parseProvider(opts.provider));
    return { nonce: account?.nonce ?? 0n, ledgerTotal: (await this.ledger(opts))?.total ?? 0n };
  }

  /** What the chain shows the provider settled since `since` (a mark from settlementMark or a ping). */
  async settlement(opts: MarketOptions & { provider: string; since: SettlementMark }): Promise<SettlementObservation> {
    return observeSettlement(opts.since, await this.settlementMark(opts));
  }

  /**
   * What the provider says this account owes it and has not settled (GET /v1/user/:addr/unsettledfee,
   * which needs a session header); undefined when it does not answer. The provider's word only.
   */
  async unsettledFee(opts: MarketOptions & { provider: string; headers: Record<string, string> }): Promise<bigint | undefined> {
    const { wallet } = await this.#broker(opts);
    const service = await this.#service(opts, parseProvider(opts.provider));
    try {
      const { response, body: raw } = await fetchWithin(
        `${service.url}/v1/user/${wallet.address}/unsettledfee`,
        { headers: opts.headers },
        {
          limit: SMALL_ANSWER_BYTES,
          timeoutMs: SMALL_ANSWER_MS,
        },
      );
      const body = JSON.parse(raw.toString("utf8")) as { unsettledFee?: unknown };
      return response.ok && typeof body.unsettledFee === "string" && /^\d+$/.test(body.unsettledFee)
        ? BigInt(body.unsettledFee)
        : undefined;
    } catch {
      return undefined;
    }
  }

  /** The provider's OpenAI-compatible endpoint and model. */
  async metadata(opts: MarketOptions & { provider: string }): Promise<{ endpoint: string; model: string }> {
    const { broker } = await this.#broker(opts);
    return guard("reading the provider's metadata", () => broker.inference.getServiceMetadata(parseProvider(opts.provider)));
  }

  /** Signed session headers for the provider (the SDK may top up the provider sub-account first). */
  async requestHeaders(opts: MarketOptions & { provider: string }): Promise<Record<string, string>> {
    const { broker, wallet } = await this.#broker(opts);
    const provider = parseProvider(opts.provider);
    const gasPrice = await sdkGasPrice(wallet.provider);
    const headers = await guard("generating auth headers", async () => {
      if (gasPrice === undefined) {
        return broker.inference.getRequestHeaders(provider);
      }
      // getRequestHeaders first tops up the provider sub-account, sending without a gas price (a 1 s
      // sleep in the SDK). Auto-funding is the SDK's way to give that top-up a price: started, it runs
      // the same check-and-fund once at once, and getRequestHeaders then skips its own; stopped after.
      await broker.inference.startAutoFunding(provider, undefined, gasPrice);
      try {
        return await broker.inference.getRequestHeaders(provider);
      } finally {
        broker.inference.stopAutoFunding(provider);
      }
    });
    return headers as unknown as Record<string, string>;
  }

  /** Invalidates every session token this account issued for the provider (on-chain generation bump). */
  async revokeTokens(opts: MarketOptions & { provider: string }): Promise<void> {
    const { broker, wallet } = await this.#broker(opts);
    const gasPrice = await sdkGasPrice(wallet.provider);
    await guard("revoking session tokens", () => broker.inference.revokeAllTokens(parseProvider(opts.provider), gasPrice));
  }

  /** One OpenAI-compatible chat completion with the given headers; a refusal is a clear error. */
  async chat(opts: MarketOptions & { provider: string; prompt: string; headers: Record<string, string> }): Promise<ChatAnswer> {
    const { endpoint, model } = await this.metadata(opts);
    // The exact bytes sent and received: the provider's signature is over their sha256.
    const requestBody = Buffer.from(JSON.stringify({ model, messages: [{ role: "user", content: opts.prompt }] }));
    let response: Response;
    let responseBody: Buffer;
    try {
      ({ response, body: responseBody } = await fetchWithin(
        `${endpoint}/chat/completions`,
        { method: "POST", headers: { "Content-Type": "application/json", ...opts.headers }, body: requestBody },
        { limit: MAX_CHAT_ANSWER_BYTES, timeoutMs: CHAT_TIMEOUT_MS },
      ));
    } catch (error) {
      if (isResponseTooLarge(error)) {
        throw flaiError(
          `The provider at ${endpoint} answered /chat/completions with more than ${sizeText(MAX_CHAT_ANSWER_BYTES)}; the transfer ` +
            "was stopped. A chat answer is far smaller: the provider is faulty; use another one.",
        );
      }
      if ((error as Error).name === "TimeoutError") {
        throw flaiError(
          `The provider at ${endpoint} did not answer within ${CHAT_TIMEOUT_MS / 1000} s. Try again later or use another provider.`,
          error,
        );
      }
      throw flaiError(`The provider at ${endpoint} cannot be reached (${(error as Error).message}). Is it running?`, error);
    }
    const body = parseCompletion(responseBody);
    if (!response.ok) {
      throw explainMarketError(new Error(`HTTP ${response.status}: ${body.error ?? response.statusText}`), `calling ${endpoint}`);
    }
    const chatId = response.headers.get("ZG-Res-Key") ?? body.id ?? "";
    return {
      answer: body.choices?.[0]?.message?.content ?? "",
      chatId,
      completionId: body.id ?? "",
      usage: body.usage ?? { prompt_tokens: 0, completion_tokens: 0 },
      exchange: { requestBody, responseBody, chatKey: chatId },
    };
  }

  /** The provider's service as registered on-chain (url, model, prices, TEE signer). */
  async #service(opts: MarketOptions, provider: string) {
    const service = await (await this.#reader(opts)).service(provider);
    if (service === undefined) {
      throw flaiError(`No 0G serving provider ${provider} is registered on this network; see \`npx hardhat flai:market-discover\`.`);
    }
    return service;
  }

  async #reader(opts: MarketOptions) {
    const { wallet, inferenceAddress } = await this.#broker(opts);
    return inferenceReader(inferenceAddress, wallet);
  }

  async #broker(opts: MarketOptions): Promise<BrokerContext> {
    const connection = await useConnection(this.#hre, opts.connection);
    const account = opts.account ?? 0;
    // A broker caches what it read (a provider's service and URL, for 10 minutes): each contracts object
    // a caller passes is a marketplace of its own — a compute devnet started again on the same
    // connection, even at the same addresses, has its provider at a new URL — with its own brokers.
    let perMarketplace = this.#brokers.get(connection);
    if (perMarketplace === undefined) {
      perMarketplace = new WeakMap();
      this.#brokers.set(connection, perMarketplace);
    }
    const marketplace = opts.contracts ?? this.#knownMarketplace;
    let perAccount = perMarketplace.get(marketplace);
    if (perAccount === undefined) {
      perAccount = new Map();
      perMarketplace.set(marketplace, perAccount);
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
        const sdkAddresses = chainId === 16661n ? CONTRACT_ADDRESSES.mainnet : CONTRACT_ADDRESSES.testnet;
        return {
          broker,
          wallet,
          ledgerAddress: contracts?.ledger ?? sdkAddresses.ledger,
          inferenceAddress: contracts?.inference ?? sdkAddresses.inference,
        };
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

interface BrokerContext {
  broker: ZGComputeNetworkBroker;
  wallet: Wallet;
  ledgerAddress: string;
  inferenceAddress: string;
}

interface CompletionBody {
  id?: string;
  error?: string;
  choices?: Array<{ message?: { content?: string } }>;
  usage?: { prompt_tokens: number; completion_tokens: number };
}

function parseCompletion(bytes: Buffer): CompletionBody {
  try {
    const doc = JSON.parse(bytes.toString("utf8")) as unknown;
    return typeof doc === "object" && doc !== null ? doc : {};
  } catch {
    return {};
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
