import http from "node:http";
import type { AddressInfo } from "node:net";

import { Transaction } from "ethers";

/** One raw transaction the tap held back, and the request that carried it. */
export interface HeldTransaction {
  tx: Transaction;
  /** Which matching transaction it was (1 = the first that matched `hold`'s filter). */
  nth: number;
}

export interface TapRule {
  /** Which transactions count (e.g. "to FLAIFederated, calling recordUpdate"). */
  matches: (tx: Transaction) => boolean;
  /** Hold the nth matching transaction (1-based): it never reaches the chain, and never gets an answer. */
  nth: number;
}

export interface RpcTap {
  /** The URL a party's config points its network at instead of the chain's. */
  url: string;
  /** Resolves once the rule's transaction is held (its sender is now waiting for an answer that never comes). */
  held: Promise<HeldTransaction>;
  close(): Promise<void>;
}

/**
 * One party's path to the chain: an HTTP JSON-RPC proxy that forwards everything to `target`, except
 * the one signed transaction `rule` picks, which it holds — neither forwarded nor answered — so a test
 * can kill the sender at a point it chooses exactly (say, after paying for an upload and before
 * recording it), with no race against the sender's own speed. Single and batched requests both pass.
 */
export async function startRpcTap(target: string, rule: TapRule): Promise<RpcTap> {
  let seen = 0;
  let resolveHeld!: (held: HeldTransaction) => void;
  const held = new Promise<HeldTransaction>((resolve) => (resolveHeld = resolve));
  const hanging = new Set<http.ServerResponse>();

  /** The held transaction among this request's calls, if any (and counts the matching ones). */
  const pick = (body: unknown): HeldTransaction | undefined => {
    for (const call of Array.isArray(body) ? body : [body]) {
      const c = call as { method?: unknown; params?: unknown };
      if (c.method !== "eth_sendRawTransaction" || !Array.isArray(c.params) || typeof c.params[0] !== "string") continue;
      const tx = Transaction.from(c.params[0]);
      if (!rule.matches(tx)) continue;
      seen++;
      if (seen === rule.nth) return { tx, nth: seen };
    }
    return undefined;
  };

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks);
      let hold: HeldTransaction | undefined;
      try {
        hold = pick(JSON.parse(body.toString("utf8")));
      } catch {
        // Not JSON: the chain answers it as it would.
      }
      if (hold !== undefined) {
        hanging.add(res);
        resolveHeld(hold);
        return;
      }
      fetch(target, { method: "POST", headers: { "content-type": "application/json" }, body }).then(
        async (upstream) => {
          const text = Buffer.from(await upstream.arrayBuffer());
          res.writeHead(upstream.status, { "content-type": upstream.headers.get("content-type") ?? "application/json" });
          res.end(text);
        },
        () => req.socket.destroy(),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    held,
    close: () =>
      new Promise<void>((resolve) => {
        for (const res of hanging) res.socket?.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
