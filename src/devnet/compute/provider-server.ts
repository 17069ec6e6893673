import { randomBytes, randomUUID } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";

import { Wallet, getAddress, type Signer } from "ethers";
import type { NetworkConnection } from "hardhat/types/network";

import { flaiError } from "../../errors.js";

import { checkPaidRequest, checkSession, type AccessContext } from "./access.js";
import { isChatMessages, type ChatAnswerer, type ChatMessage } from "./chat.js";
import { feeOf, promptTokens, usageOf, type Prices } from "./pricing.js";
import { attestationQuote } from "./quote.js";
import { registerService } from "./registration.js";
import { inferenceContract } from "./serving-contract.js";
import { parseJson, readBody, reply } from "./http.js";
import { ProviderRejection } from "./session-token.js";
import { Settler, type SettlementRecord } from "./settlement.js";
import { DEFAULT_SETTLEMENT, SettlementTrigger, type SettlementSchedule } from "./settlement-schedule.js";
import { signExchange, type ResponseSignature } from "./signing.js";

export interface ComputeProviderFaults {
  /** Sign responses with a key other than the registered TEE signer (processResponse must fail). */
  wrongSignature?: boolean;
  /**
   * Sign the TEE statement for other bodies than the ones exchanged (a valid signature by the right
   * key over the wrong text): the SDK's processResponse accepts it, the plugin must not.
   */
  signOtherBodies?: boolean;
}

export interface ComputeProviderOptions {
  connection: NetworkConnection<string>;
  contracts: { ledger: string; inference: string };
  /** The provider's account: registers the service, stakes 100 0G, settles fees. */
  providerSigner: Signer;
  /** InferenceServing's owner, who acknowledges the TEE signer; default the connection's account #0. */
  ownerSigner?: Signer;
  /** Private key of the TEE signer: signs responses and settlements. */
  teeKey: string;
  model: string;
  answer: ChatAnswerer;
  /** Neuron per prompt token (default 1 gneuron). */
  inputPrice?: bigint;
  /** Neuron per completion token (default 2 gneuron). */
  outputPrice?: bigint;
  port?: number;
  host?: string;
  /** Read on every request, so a test may flip a fault on a running server. */
  faults?: ComputeProviderFaults;
  /** When fees are settled on-chain (default: in batches, like a real provider; see SettlementSchedule). */
  settlement?: SettlementSchedule;
  /** Have the owner acknowledge the TEE signer (default true); false leaves the service unusable. */
  acknowledge?: boolean;
}

export interface ComputeProvider {
  /** Base URL, as registered on-chain (the SDK appends /v1/proxy). */
  url: string;
  providerAddress: string;
  teeSigner: string;
  /** Settles all unpaid fees now (after any settlement in flight); resolves with what it settled. */
  settle(): Promise<SettlementRecord[]>;
  /** Every settlement so far, oldest first. */
  readonly settlements: readonly SettlementRecord[];
  /** Fees answered but not yet settled, per user (what GET /v1/user/:addr/unsettledfee reports). */
  unsettled(user: string): bigint;
  /** The error of the last scheduled settlement that failed, if any. */
  readonly settlementError: Error | undefined;
  close(): Promise<void>;
}

export const DEFAULT_PRICES: Prices = { inputPrice: 1_000_000_000n, outputPrice: 2_000_000_000n };

const MAX_SIGNATURES = 10_000;

/**
 * A local stand-in for a 0G compute provider (the Go "serving broker" in a TEE) that the real
 * compute SDK can use end to end: session-token checks against the chain, an OpenAI-compatible
 * chat endpoint answered by `answer`, TEE-signed responses, the unsettled-fee and quote endpoints,
 * and fee settlement with settleFeesWithTEE on a schedule of its own (batched by default).
 */
export async function startComputeProvider(opts: ComputeProviderOptions): Promise<ComputeProvider> {
  const tee = new Wallet(opts.teeKey);
  const providerAddress = getAddress(await opts.providerSigner.getAddress());
  const chain = opts.connection.ethers.provider;
  const chainId = (await chain.getNetwork()).chainId;
  const reader = inferenceContract(opts.contracts.inference, chain);
  const prices: Prices = {
    inputPrice: opts.inputPrice ?? DEFAULT_PRICES.inputPrice,
    outputPrice: opts.outputPrice ?? DEFAULT_PRICES.outputPrice,
  };
  const settler = new Settler(inferenceContract(opts.contracts.inference, opts.providerSigner), tee, providerAddress, chainId);
  let settlementError: Error | undefined;
  const trigger = new SettlementTrigger(
    opts.settlement ?? DEFAULT_SETTLEMENT,
    () => settler.settle(),
    (error) => (settlementError = error),
  );
  const provider: ProviderState = {
    opts,
    tee,
    impostor: new Wallet(Wallet.createRandom().privateKey),
    providerAddress,
    prices,
    settler,
    trigger,
    access: { inference: reader, provider: providerAddress },
    signatures: new Map<string, ResponseSignature>(),
  };
  const server = createProviderServer(provider);
  const base = await listen(server, opts.port ?? 0, opts.host ?? "127.0.0.1");

  try {
    await registerService(
      reader,
      opts.providerSigner,
      opts.acknowledge === false ? undefined : (opts.ownerSigner ?? (await ownerOf(opts.connection))),
      {
        url: base,
        model: opts.model,
        ...prices,
        teeSigner: tee.address,
      },
    );
  } catch (error) {
    await closeServer(server);
    throw error;
  }

  return {
    url: base,
    providerAddress,
    teeSigner: tee.address,
    /** Any settlement, scheduled or asked for, closes the current batch. */
    settle: () => {
      trigger.reset();
      return settler.settle();
    },
    unsettled: (user) => settler.unsettled(user),
    get settlements() {
      return settler.records;
    },
    get settlementError() {
      return settlementError;
    },
    close: async () => {
      trigger.stop();
      await closeServer(server);
      // Collect what is still unpaid (after any settlement in flight) while the chain is still there;
      // fees live in memory only, so a closed provider forgets them. A gone chain is not an error here.
      await settler.settle().catch(() => undefined);
    },
  };
}

/** What the request handlers of one running provider share. */
interface ProviderState {
  opts: ComputeProviderOptions;
  tee: Wallet;
  /** Signs under the wrongSignature fault: a key other than the registered TEE signer. */
  impostor: Wallet;
  providerAddress: string;
  prices: Prices;
  settler: Settler;
  trigger: SettlementTrigger;
  access: AccessContext;
  /** Response signatures by chat key (ZG-Res-Key), the oldest dropped past MAX_SIGNATURES. */
  signatures: Map<string, ResponseSignature>;
}

type Routed = { json: unknown; headers?: Record<string, string> };

/** The HTTP server: CORS for browser SDKs, then route(); a ProviderRejection keeps its status, anything else is a 500. */
function createProviderServer(provider: ProviderState): http.Server {
  return http.createServer((req, res) => {
    res.setHeader("Access-Control-Allow-Origin", "*");
    res.setHeader("Access-Control-Expose-Headers", "ZG-Res-Key");
    if (req.method === "OPTIONS") {
      res.writeHead(204, {
        "Access-Control-Allow-Methods": "GET, POST, OPTIONS",
        "Access-Control-Allow-Headers": "Authorization, Content-Type",
      });
      res.end();
      return;
    }
    readBody(req)
      .then((body) => route(provider, req, body))
      .then(
        ({ json, headers }) => reply(res, 200, json, headers),
        (error: unknown) => {
          const status = error instanceof ProviderRejection ? error.status : 500;
          reply(res, status, { error: error instanceof Error ? error.message : String(error) });
        },
      );
  });
}

/** Listens on host:port (0: any free port) and resolves with the base URL. */
async function listen(server: http.Server, port: number, host: string): Promise<string> {
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, resolve);
  });
  const { address, port: bound } = server.address() as AddressInfo;
  return `http://${address.includes(":") ? `[${address}]` : address}:${bound}`;
}

function closeServer(server: http.Server): Promise<void> {
  return new Promise<void>((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  });
}

async function route(provider: ProviderState, req: http.IncomingMessage, body: Buffer): Promise<Routed> {
  const url = new URL(req.url ?? "/", "http://localhost");
  const path = url.pathname.replace(/\/+$/, "");
  const method = req.method ?? "GET";
  if (method === "POST" && path === "/v1/proxy/chat/completions") return chat(provider, req, body);
  if (method !== "GET") throw new ProviderRejection(404, `no ${method} ${path} here`);
  const { opts, tee, providerAddress } = provider;
  if (path === "/v1/quote") return { json: attestationQuote(tee.address, opts.model) };
  if (path === "/v1/models" || path === "/v1/proxy/models") {
    return { json: { object: "list", data: [{ id: opts.model, object: "model", created: 0, owned_by: providerAddress }] } };
  }
  const signature = /^\/v1\/proxy\/signature\/([^/]+)$/.exec(path);
  if (signature !== null) {
    const found = provider.signatures.get(decodeURIComponent(signature[1]!));
    if (found === undefined) throw new ProviderRejection(404, `no signature for chat ${signature[1]} (unknown or expired chat key)`);
    return { json: found };
  }
  const unsettled = /^\/v1\/user\/([^/]+)\/unsettledfee$/.exec(path);
  if (unsettled !== null) return unsettledFee(provider, req, unsettled[1]!);
  throw new ProviderRejection(404, `no GET ${path} here`);
}

/** GET /v1/user/:addr/unsettledfee: a session token may read only its own user's unsettled fee. */
async function unsettledFee(provider: ProviderState, req: http.IncomingMessage, addr: string): Promise<Routed> {
  const { token } = await checkSession(provider.access, req.headers.authorization);
  let user: string;
  try {
    user = getAddress(addr);
  } catch {
    throw new ProviderRejection(400, `${addr} is not an address`);
  }
  if (user !== token.address)
    throw new ProviderRejection(403, `a token of ${token.address} may only read its own unsettled fee, not ${user}'s`);
  return { json: { unsettledFee: provider.settler.unsettled(user).toString() } };
}

/** The chat request's messages and max_tokens (0: not given), or a 400 saying what is wrong with it. */
function readChatRequest(model: string, body: Buffer): { messages: ChatMessage[]; maxTokens: number } {
  const request = parseJson(body) as { model?: unknown; messages?: unknown; stream?: unknown; max_tokens?: unknown };
  if (request.stream === true) {
    throw new ProviderRejection(400, "streaming is not supported by the local compute provider; send stream: false");
  }
  if (request.model !== undefined && request.model !== model) {
    throw new ProviderRejection(
      400,
      `model ${JSON.stringify(request.model)} is not served here; this provider serves ${JSON.stringify(model)}`,
    );
  }
  if (!isChatMessages(request.messages)) {
    throw new ProviderRejection(400, `"messages" must be a non-empty list of {role, content}`);
  }
  const maxTokens = typeof request.max_tokens === "number" && request.max_tokens > 0 ? Math.floor(request.max_tokens) : 0;
  return { messages: request.messages, maxTokens };
}

/** POST /v1/proxy/chat/completions: checks the paid request, answers, signs the exchange and books the fee. */
async function chat(provider: ProviderState, req: http.IncomingMessage, body: Buffer): Promise<Routed> {
  const { opts, prices, settler } = provider;
  const { messages, maxTokens } = readChatRequest(opts.model, body);
  const estimate = feeOf({ prompt_tokens: promptTokens(messages), completion_tokens: maxTokens }, prices);
  const token = await checkPaidRequest(provider.access, req.headers.authorization, { estimate, unsettled: (u) => settler.unsettled(u) });

  let content: string;
  try {
    content = (await opts.answer(messages)).content;
  } catch (error) {
    throw new ProviderRejection(500, `the model failed: ${(error as Error).message}`);
  }
  const usage = usageOf(messages, content);
  // As real providers do: the signature is fetched under a fresh key (ZG-Res-Key), not the body's id.
  const chatKey = randomUUID();
  const responseBody = {
    id: `chatcmpl-${randomBytes(12).toString("hex")}`,
    object: "chat.completion",
    created: Math.floor(Date.now() / 1000),
    model: opts.model,
    choices: [{ index: 0, message: { role: "assistant", content }, finish_reason: "stop" }],
    usage,
  };
  const responseText = JSON.stringify(responseBody);
  remember(provider.signatures, chatKey, await signAnswer(provider, body, responseText));
  settler.add(token.address, feeOf(usage, prices), chatKey);
  provider.trigger.answered();
  return { json: responseText, headers: { "ZG-Res-Key": chatKey } };
}

/** sha256hex(request):sha256hex(response) of exactly the bytes exchanged, unless a fault says otherwise. */
function signAnswer(provider: ProviderState, requestBody: Buffer, responseText: string): Promise<ResponseSignature> {
  const { faults } = provider.opts;
  const signer = faults?.wrongSignature === true ? provider.impostor : provider.tee;
  if (faults?.signOtherBodies === true) {
    return signExchange(signer, Buffer.from('{"messages":[]}'), responseText.replace(/"content":"/, '"content":"(other) '));
  }
  return signExchange(signer, requestBody, responseText);
}

async function ownerOf(connection: NetworkConnection<string>): Promise<Signer> {
  const [owner] = await connection.ethers.getSigners();
  if (owner === undefined) {
    throw flaiError(`Network "${connection.networkName}" has no account to acknowledge the provider's TEE signer with; pass ownerSigner.`);
  }
  return owner;
}

function remember(signatures: Map<string, ResponseSignature>, key: string, signature: ResponseSignature): void {
  signatures.set(key, signature);
  if (signatures.size > MAX_SIGNATURES) signatures.delete(signatures.keys().next().value!);
}
