import http from "node:http";

import { Transaction } from "ethers";

import { listenLoopback } from "./net.js";

/** Galileo's mempool floor and its refusal, as the real RPC answers. */
export const GALILEO_MIN_TIP = 2_000_000_000n;
export const GALILEO_TIP_ERROR = "tip cap below minimum 2 gwei";
const TIP_ERROR_CODE = -32000;

interface RpcRequest {
  jsonrpc?: string;
  id?: unknown;
  method: string;
  params?: unknown[];
}

interface RpcReply {
  jsonrpc: "2.0";
  id: unknown;
  result?: unknown;
  error?: { code: number; message: string; data?: unknown };
}

/** One transaction the proxy saw, with the fee fields it carried and the tip they amount to. */
export interface SeenTx {
  via: "eth_sendRawTransaction" | "eth_sendTransaction";
  /** 0 legacy, 1 access list, 2 EIP-1559 (eth_sendTransaction: 2 when it carries EIP-1559 fields). */
  type: number;
  to: string | null;
  /** The 4-byte selector, or "0x" for a plain transfer; a deployment has `to === null`. */
  selector: string;
  gasPrice?: bigint;
  maxFeePerGas?: bigint;
  maxPriorityFeePerGas?: bigint;
  baseFeePerGas: bigint;
  /** What the block producer gets per gas: EIP-1559 min(tip cap, fee cap − base fee); legacy gasPrice − base fee. */
  tip: bigint;
}

export interface FeeProxy {
  url: string;
  /** Transactions forwarded to the chain. */
  readonly accepted: readonly SeenTx[];
  /** Transactions refused with Galileo's error. */
  readonly rejected: readonly SeenTx[];
  close(): Promise<void>;
}

/**
 * A JSON-RPC proxy that makes a real chain behave like 0G Galileo on fees: it suggests a 1 wei tip
 * (`eth_maxPriorityFeePerGas`, `eth_feeHistory` rewards, `eth_gasPrice` = base fee + 1 wei) and
 * refuses, with Galileo's error, every transaction whose effective tip is below 2 gwei. Everything
 * else goes to `target` unchanged. Handles batches (ethers batches its requests).
 */
export async function startFeeProxy(target: string): Promise<FeeProxy> {
  const accepted: SeenTx[] = [];
  const rejected: SeenTx[] = [];
  const forward = async (req: RpcRequest): Promise<RpcReply> => {
    const res = await fetch(target, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(req) });
    return (await res.json()) as RpcReply;
  };
  const baseFee = async (): Promise<bigint> => {
    const block = await forward({ jsonrpc: "2.0", id: 0, method: "eth_getBlockByNumber", params: ["latest", false] });
    return BigInt((block.result as { baseFeePerGas?: string }).baseFeePerGas ?? "0x0");
  };

  async function handle(req: RpcRequest): Promise<RpcReply> {
    const id = req.id ?? null;
    switch (req.method) {
      case "eth_maxPriorityFeePerGas":
        return { jsonrpc: "2.0", id, result: "0x1" };
      case "eth_gasPrice":
        return { jsonrpc: "2.0", id, result: hex((await baseFee()) + 1n) };
      case "eth_feeHistory": {
        const reply = await forward(req);
        const history = reply.result as { reward?: string[][] } | undefined;
        if (history?.reward !== undefined) history.reward = history.reward.map((r) => r.map(() => "0x1"));
        return reply;
      }
      case "eth_sendRawTransaction":
      case "eth_sendTransaction": {
        const seen = describe(req, await baseFee());
        if (seen.tip < GALILEO_MIN_TIP) {
          rejected.push(seen);
          return { jsonrpc: "2.0", id, error: { code: TIP_ERROR_CODE, message: GALILEO_TIP_ERROR } };
        }
        accepted.push(seen);
        return forward(req);
      }
      default:
        return forward(req);
    }
  }

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      void (async () => {
        const body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as RpcRequest | RpcRequest[];
        let reply: RpcReply | RpcReply[];
        if (Array.isArray(body)) {
          reply = [];
          for (const r of body) reply.push(await handle(r)); // in order: a send may depend on a nonce read before it
        } else {
          reply = await handle(body);
        }
        res.writeHead(200, { "content-type": "application/json" });
        res.end(JSON.stringify(reply));
      })().catch(() => req.socket.destroy());
    });
  });
  const listening = await listenLoopback(server);
  return {
    url: listening.url,
    accepted,
    rejected,
    close: () => listening.close(),
  };
}

/** The fee fields of a send, decoded the way the chain sees them. */
function describe(req: RpcRequest, baseFeePerGas: bigint): SeenTx {
  if (req.method === "eth_sendRawTransaction") {
    const tx = Transaction.from(req.params![0] as string);
    const fields = {
      gasPrice: tx.gasPrice ?? undefined,
      maxFeePerGas: tx.maxFeePerGas ?? undefined,
      maxPriorityFeePerGas: tx.maxPriorityFeePerGas ?? undefined,
    };
    return {
      via: req.method,
      type: tx.type ?? 0,
      to: tx.to,
      selector: tx.data.slice(0, 10),
      baseFeePerGas,
      ...fields,
      tip: tipOf(fields, baseFeePerGas),
    };
  }
  const tx = req.params![0] as {
    to?: string | null;
    data?: string;
    input?: string;
    gasPrice?: string;
    maxFeePerGas?: string;
    maxPriorityFeePerGas?: string;
  };
  const big = (v: string | undefined) => (v === undefined ? undefined : BigInt(v));
  const fields = { gasPrice: big(tx.gasPrice), maxFeePerGas: big(tx.maxFeePerGas), maxPriorityFeePerGas: big(tx.maxPriorityFeePerGas) };
  const data = tx.data ?? tx.input ?? "0x";
  return {
    via: "eth_sendTransaction",
    type: fields.maxFeePerGas !== undefined || fields.maxPriorityFeePerGas !== undefined ? 2 : 0,
    to: tx.to ?? null,
    selector: data.slice(0, 10),
    baseFeePerGas,
    ...fields,
    tip: tipOf(fields, baseFeePerGas),
  };
}

/** No fee fields at all: the node would fill in its own suggestion, the 1 wei tip. */
function tipOf(f: { gasPrice?: bigint; maxFeePerGas?: bigint; maxPriorityFeePerGas?: bigint }, base: bigint): bigint {
  if (f.maxPriorityFeePerGas !== undefined) {
    const cap = f.maxFeePerGas ?? f.maxPriorityFeePerGas + base;
    const room = cap - base;
    return f.maxPriorityFeePerGas < room ? f.maxPriorityFeePerGas : room;
  }
  if (f.gasPrice !== undefined) {
    return f.gasPrice - base;
  }
  return 1n;
}

const hex = (n: bigint) => "0x" + n.toString(16);
