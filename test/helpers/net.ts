import net, { type Server, type Socket } from "node:net";

/** A loopback port that was free a moment ago (bound, read, released). */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/**
 * Listens on a free loopback port; `close()` also drops open (keep-alive or hung) connections, so a
 * test's server never holds its process or port after the test.
 */
export async function listenLoopback(server: Server): Promise<{ url: string; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  server.on("connection", (socket: Socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** What a fault proxy does to one connection: forward it, drop it mid-answer, or trickle the answer. */
export type ConnectionFault = "pass" | "reset" | "slow";

export interface FaultProxy {
  url: string;
  /** Connections accepted, by the fault each got. */
  readonly counts: Readonly<Record<ConnectionFault, number>>;
  /**
   * Picks each new connection's fault from now on; open connections are dropped first, so a
   * kept-alive one made under the previous faults does not carry on as if nothing changed.
   */
  setFaults(pick: () => ConnectionFault): void;
  close(): Promise<void>;
}

/** Bytes a "slow" connection forwards per tick, and the tick: ~1 MB/s, a 256 KiB segment in ~¼ s. */
const TRICKLE_BYTES = 2048;
const TRICKLE_MS = 2;

/**
 * A TCP proxy on a free loopback port in front of 127.0.0.1:`targetPort`, injecting faults per
 * connection: "reset" forwards the request and part of the first answer chunk, then resets both
 * sides (a dropped connection mid-body); "slow" trickles the request and the answer; "pass" forwards. The target may
 * be down (a restarting node): the client's connection is then reset, as a refused one would be.
 */
export async function startFaultProxy(targetPort: number): Promise<FaultProxy> {
  let pick: () => ConnectionFault = () => "pass";
  const counts: Record<ConnectionFault, number> = { pass: 0, reset: 0, slow: 0 };
  const open = new Set<Socket>();
  const server = net.createServer((client) => {
    const fault = pick();
    counts[fault]++;
    const upstream = net.connect(targetPort, "127.0.0.1");
    open.add(client);
    open.add(upstream);
    const drop = () => {
      if (!client.destroyed) client.resetAndDestroy();
      upstream.destroy();
    };
    client.on("close", () => {
      open.delete(client);
      upstream.destroy();
    });
    upstream.on("close", () => {
      open.delete(upstream);
      // A trickled answer ends once its last bytes are out (trickle's own "end").
      if (fault !== "slow" && !client.destroyed) client.end();
    });
    client.on("error", drop);
    upstream.on("error", drop);
    if (fault === "pass") {
      client.pipe(upstream);
      upstream.pipe(client);
    } else if (fault === "reset") {
      client.pipe(upstream);
      // Half of the first answer chunk goes out, then both sides are reset: the body is cut short.
      upstream.once("data", (chunk: Buffer) => client.write(chunk.subarray(0, Math.floor(chunk.length / 2)), drop));
    } else {
      // Both bodies are slow: the request (an uploaded segment) and the answer (a downloaded one).
      trickle(client, upstream);
      trickle(upstream, client);
    }
  });
  const listening = await listenLoopback(server);
  const dropOpen = () => {
    for (const socket of open) socket.destroy();
  };
  return {
    url: listening.url,
    counts,
    setFaults(next) {
      dropOpen();
      pick = next;
    },
    close: async () => {
      dropOpen();
      await listening.close();
    },
  };
}

/** Forwards `from` to `to` a few bytes per tick (back-pressure: `from` pauses while bytes wait). */
function trickle(from: Socket, to: Socket): void {
  const waiting: Buffer[] = [];
  let timer: NodeJS.Timeout | undefined;
  const tick = () => {
    timer = undefined;
    const head = waiting.shift();
    if (head === undefined || to.destroyed) return;
    to.write(head.subarray(0, TRICKLE_BYTES));
    if (head.length > TRICKLE_BYTES) waiting.unshift(head.subarray(TRICKLE_BYTES));
    if (waiting.length > 0) timer = setTimeout(tick, TRICKLE_MS);
    else if (from.readableEnded) to.end();
    else from.resume();
  };
  from.on("data", (chunk: Buffer) => {
    waiting.push(chunk);
    from.pause();
    timer ??= setTimeout(tick, TRICKLE_MS);
  });
  from.on("end", () => {
    if (waiting.length === 0 && timer === undefined) to.end();
  });
}
