import http from "node:http";

import { expect } from "chai";
import { Wallet } from "ethers";
import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import type { FlaiConnection } from "../../src/chain/connection.js";
import { startComputeDevnet, type ComputeDevnet } from "../../src/devnet/compute-devnet.js";
import { DEFAULT_PRICES } from "../../src/devnet/compute/provider-server.js";
import { registerService } from "../../src/devnet/compute/registration.js";
import { inferenceContract } from "../../src/devnet/compute/serving-contract.js";
import type { MarketOptions } from "../../src/market/types.js";
import { SDK_ANSWER_LIMIT_BYTES } from "../../src/util/capped-fetch.js";

import { expectFlaiError } from "../helpers/assert.js";
import { listenLoopback } from "../helpers/net.js";
import { tempProject } from "../helpers/project.js";

// Issue 15: the 0G compute SDK's own HTTP reads — the unsettled fee it reads before signing request
// headers, the response signature processResponse reads — went through the global fetch, whole and
// without a timeout, from a provider found on-chain. The bundle now routes them to a capped fetch
// (4 MiB, 30 s; src/util/capped-fetch.ts). Here the real SDK, through the plugin's market calls,
// against the compute devnet's provider behind a front that answers one path badly.

const MODEL = "flai/echo";
/** What the front sends at most per bad answer, so a run without the cap stays bounded too. */
const FRONT_MAX_BYTES = 256 * 1024 * 1024;

type Fault = "endless" | "huge-length";

interface Front {
  url: string;
  /** Requests whose path matches this are answered with `fault`; the rest are forwarded. */
  faulty?: { path: RegExp; fault: Fault };
  /** Bad answers whose connection the client closed before the front ended them. */
  closed: number;
  bytesSent: number;
  close(): Promise<void>;
}

/** An endless JSON string (up to FRONT_MAX_BYTES), or a 50 GB Content-Length trickled a byte at a time. */
function answerBadly(res: http.ServerResponse, fault: Fault, front: Front) {
  res.on("close", () => {
    if (!res.writableFinished) front.closed++;
  });
  if (fault === "huge-length") {
    res.writeHead(200, { "content-type": "application/json", "content-length": String(50 * 1024 ** 3) });
    const timer = setInterval(() => res.write("a"), 100);
    res.on("close", () => clearInterval(timer));
    return;
  }
  res.writeHead(200, { "content-type": "application/json" });
  res.write('{"text":"');
  const block = Buffer.alloc(256 * 1024, 0x61);
  const pump = () => {
    while (!res.destroyed) {
      if (front.bytesSent >= FRONT_MAX_BYTES) return void res.end('"}');
      front.bytesSent += block.length;
      if (!res.write(block)) return void res.once("drain", pump);
    }
  };
  pump();
}

/** Forwards `req` to the provider at `target`, answer and headers as they are. */
function forward(req: http.IncomingMessage, res: http.ServerResponse, target: string) {
  const upstream = http.request(`${target}${req.url}`, { method: req.method, headers: req.headers }, (answer) => {
    res.writeHead(answer.statusCode ?? 502, answer.headers);
    answer.pipe(res);
  });
  upstream.on("error", () => res.destroy());
  req.pipe(upstream);
}

async function startFront(target: string): Promise<Front> {
  const front = { closed: 0, bytesSent: 0 } as Front;
  const server = http.createServer((req, res) => {
    const faulty = front.faulty;
    if (faulty !== undefined && faulty.path.test(req.url ?? "")) {
      req.resume();
      return answerBadly(res, faulty.fault, front);
    }
    forward(req, res, target);
  });
  const listening = await listenLoopback(server);
  return Object.assign(front, { url: listening.url, close: listening.close });
}

describe("bad input (issue 15): the compute SDK's own reads of a provider are capped and stopped", function () {
  this.timeout(120_000);
  let hre: HardhatRuntimeEnvironment;
  let connection: FlaiConnection;
  let devnet: ComputeDevnet | undefined;
  let front: Front | undefined;
  let opts: MarketOptions & { connection: FlaiConnection };
  let provider: string;

  before(async () => {
    ({ hre } = await tempProject());
    connection = await hre.network.create();
    devnet = await startComputeDevnet(connection, {
      model: MODEL,
      answer: () => ({ content: "ok" }),
      teeKey: Wallet.createRandom().privateKey,
    });
    front = await startFront(devnet.url);
    // The service's URL on-chain becomes the front's: every read the SDK makes goes through it.
    const [owner, providerSigner] = await connection.ethers.getSigners();
    await registerService(inferenceContract(devnet.contracts.inference, providerSigner!), providerSigner!, owner, {
      url: front.url,
      model: MODEL,
      ...DEFAULT_PRICES,
      teeSigner: devnet.teeSigner,
    });
    provider = devnet.providerAddress;
  });
  after(async () => {
    await front?.close();
    await devnet?.close();
  });
  beforeEach(() => {
    front!.faulty = undefined;
    front!.closed = 0;
    front!.bytesSent = 0;
  });

  /** The front saw the bad answer's connection close, having sent little past the 4 MiB limit. */
  async function stopped() {
    for (let i = 0; i < 50 && front!.closed === 0; i++) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(front!.closed, "the provider saw the connection close").to.equal(1);
    expect(front!.bytesSent, "bytes sent before the close").to.be.below(SDK_ANSWER_LIMIT_BYTES + 32 * 1024 * 1024);
  }

  it("an endless unsettled-fee answer while signing request headers: cut at 4 MiB, the socket closed; the SDK goes on with its cached fee", async () => {
    opts = { connection, contracts: devnet!.contracts, account: 2 };
    await hre.flai.market.setup({ ...opts, provider, ledger: "3" });
    front!.faulty = { path: /\/unsettledfee$/, fault: "endless" };
    const headers = await hre.flai.market.requestHeaders({ ...opts, provider });
    expect(headers.Authorization).to.match(/^Bearer app-sk-/);
    await stopped();
  });

  it("an endless response-signature answer: processResponse fails with a plugin error naming the URL and 4 MiB; the socket closed", async () => {
    front!.faulty = { path: /^\/v1\/proxy\/signature\//, fault: "endless" };
    const error = await expectFlaiError(
      () => hre.flai.market.ping({ ...opts, provider, prompt: "hello" }),
      `${front!.url}/v1/proxy/signature/`,
      "4 MiB",
      "verifying the response",
      "the transfer was stopped",
    );
    expect(error.message.length).to.be.below(600);
    await stopped();
  });

  it("a response signature declaring 50 GB, trickled: refused at its headers, the socket closed, no hang", async () => {
    front!.faulty = { path: /^\/v1\/proxy\/signature\//, fault: "huge-length" };
    const started = Date.now();
    await expectFlaiError(() => hre.flai.market.ping({ ...opts, provider, prompt: "hello" }), `${front!.url}/v1/proxy/signature/`, "4 MiB");
    expect(Date.now() - started).to.be.below(30_000);
    await stopped();
  });

  it("the provider answering well again: a ping verifies through the same capped reads", async () => {
    const pong = await hre.flai.market.ping({ ...opts, provider, prompt: "hello" });
    expect(pong.verified).to.equal(true);
    expect(pong.answer).to.equal("ok");
  });
});
