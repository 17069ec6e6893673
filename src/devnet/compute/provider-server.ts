import { randomBytes, randomUUID } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";

import { Wallet, getAddress, type Signer } from "ethers";
import type { NetworkConnection } from "hardhat/types/network";

import { flaiError } from "../../errors.js";

import { checkPaidRequest, checkSession, type AccessContext } from "./access.js";
import { isChatMessages, type ChatAnswerer } from "./chat.js";
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
  const impostor = new Wallet(Wallet.createRandom().privateKey);
  const providerAddress = getAddress(await opts.providerSigner.getAddress());
  const chain = opts.connection.ethers.provider;
  const chainId = (await chain.getNetwork()).chainId;
  const reader = inferenceContract(opts.contracts.inference, chain);
  const prices: Prices = { inputPrice: opts.inputPrice ?? DEFAULT_PRICES.inputPrice, outputPrice: opts.outputPrice ?? DEFAULT_PRICES.outputPrice };
  const settler = new Settler(inferenceContract(opts.contracts.inference, opts.providerSigner), tee, providerAddress, chainId);
  const access: AccessContext = { inference: reader, provider: providerAddress };
  const signatures = new Map<string, ResponseSignature>();
  let settlementError: Error | undefined;
  const trigger = new SettlementTrigger(opts.settlement ?? DEFAULT_SETTLEMENT, () => settler.settle(), (error) => (settlementError = error));
  /** Any settlement, scheduled or asked for, closes the current batch. */
  const settleNow = () => {
    trigger.reset();
    return settler.settle();
  };

  async function chat(req: http.IncomingMessage, body: Buffer): Promise<{ json: unknown; headers: Record<string, string> }> {
    const request = parseJson(body) as { model?: unknown; messages?: unknown; stream?: unknown; max_tokens?: unknown };
    if (request.stream === true) {
      throw new ProviderRejection(400, "streaming is not supported by the local compute provider; send stream: false");
    }
    if (request.model !== undefined && request.model !== opts.model) {
      throw new ProviderRejection(400, `model ${JSON.stringify(request.model)} is not served here; this provider serves ${JSON.stringify(opts.model)}`);
    }
    if (!isChatMessages(request.messages)) {
      throw new ProviderRejection(400, `"messages" must be a non-empty list of {role, content}`);
    }
    const messages = request.messages;
    const maxTokens = typeof request.max_tokens === "number" && request.max_tokens > 0 ? Math.floor(request.max_tokens) : 0;
    const estimate = feeOf({ prompt_tokens: promptTokens(messages), completion_tokens: maxTokens }, prices);
    const token = await checkPaidRequest(access, req.headers.authorization, { estimate, unsettled: (u) => settler.unsettled(u) });

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
    remember(signatures, chatKey, await signAnswer(body, responseText));
    settler.add(token.address, feeOf(usage, prices), chatKey);
    trigger.answered();
    return { json: responseText, headers: { "ZG-Res-Key": chatKey } };
  }

  /** sha256hex(request):sha256hex(response) of exactly the bytes exchanged, unless a fault says otherwise. */
  function signAnswer(requestBody: Buffer, responseText: string): Promise<ResponseSignature> {
    const signer = opts.faults?.wrongSignature === true ? impostor : tee;
    if (opts.faults?.signOtherBodies === true) {
      return signExchange(signer, Buffer.from('{"messages":[]}'), responseText.replace(/"content":"/, '"content":"(other) '));
    }
    return signExchange(signer, requestBody, responseText);
  }

  async function route(req: http.IncomingMessage, body: Buffer): Promise<{ json: unknown; headers?: Record<string, string> }> {
    const url = new URL(req.url ?? "/", "http://localhost");
    const path = url.pathname.replace(/\/+$/, "");
    const method = req.method ?? "GET";
    if (method === "POST" && path === "/v1/proxy/chat/completions") return chat(req, body);
    if (method !== "GET") throw new ProviderRejection(404, `no ${method} ${path} here`);
    if (path === "/v1/quote") return { json: attestationQuote(tee.address, opts.model) };
    if (path === "/v1/models" || path === "/v1/proxy/models") {
      return { json: { object: "list", data: [{ id: opts.model, object: "model", created: 0, owned_by: providerAddress }] } };
    }
    const signature = /^\/v1\/proxy\/signature\/([^/]+)$/.exec(path);
    if (signature !== null) {
      const found = signatures.get(decodeURIComponent(signature[1]!));
      if (found === undefined) throw new ProviderRejection(404, `no signature for chat ${signature[1]} (unknown or expired chat key)`);
      return { json: found };
    }
    const unsettled = /^\/v1\/user\/([^/]+)\/unsettledfee$/.exec(path);
    if (unsettled !== null) {
      const { token } = await checkSession(access, req.headers.authorization);
      let user: string;
      try {
        user = getAddress(unsettled[1]!);
      } catch {
        throw new ProviderRejection(400, `${unsettled[1]} is not an address`);
      }
      if (user !== token.address) throw new ProviderRejection(403, `a token of ${token.address} may only read its own unsettled fee, not ${user}'s`);
      return { json: { unsettledFee: settler.unsettled(user).toString() } };
    }
    throw new ProviderRejection(404, `no GET ${path} here`);
  }

  const server = http.createServer((req, res) => {
    res.setHeader("Access-Control-Allow-Origin", "*");
    res.setHeader("Access-Control-Expose-Headers", "ZG-Res-Key");
    if (req.method === "OPTIONS") {
      res.writeHead(204, { "Access-Control-Allow-Methods": "GET, POST, OPTIONS", "Access-Control-Allow-Headers": "Authorization, Content-Type" });
      res.end();
      return;
    }
    readBody(req)
      .then((body) => route(req, body))
      .then(
        ({ json, headers }) => reply(res, 200, json, headers),
        (error: unknown) => {
          const status = error instanceof ProviderRejection ? error.status : 500;
          reply(res, status, { error: error instanceof Error ? error.message : String(error) });
        },
      );
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port ?? 0, opts.host ?? "127.0.0.1", resolve);
  });
  const { address, port } = server.address() as AddressInfo;
  const base = `http://${address.includes(":") ? `[${address}]` : address}:${port}`;
  const closeServer = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });

  try {
    await registerService(reader, opts.providerSigner, opts.acknowledge === false ? undefined : (opts.ownerSigner ?? (await ownerOf(opts.connection))), {
      url: base,
      model: opts.model,
      ...prices,
      teeSigner: tee.address,
    });
  } catch (error) {
    await closeServer();
    throw error;
  }

  return {
    url: base,
    providerAddress,
    teeSigner: tee.address,
    settle: settleNow,
    unsettled: (user) => settler.unsettled(user),
    get settlements() {
      return settler.records;
    },
    get settlementError() {
      return settlementError;
    },
    close: async () => {
      trigger.stop();
      await closeServer();
      // Collect what is still unpaid (after any settlement in flight) while the chain is still there;
      // fees live in memory only, so a closed provider forgets them. A gone chain is not an error here.
      await settler.settle().catch(() => undefined);
    },
  };
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
