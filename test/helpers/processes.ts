import { spawn, type ChildProcess } from "node:child_process";
import net from "node:net";

import { HARDHAT_CLI, type CliOptions, userEnv } from "./cli.js";
import { callerTestFile, recordOutput } from "./error-output.js";

/** A long-running `hardhat <args>` (node, flai:devnet) whose output is collected as it comes. */
export interface Running {
  child: ChildProcess;
  output(): string;
  /** stdout alone (where `--json` documents and JSON lines go), without stderr. */
  stdout(): string;
  /** Resolves with the exit code once the process is gone. */
  exited: Promise<number | null>;
  /** Resolves once `pattern` is in the output; rejects if the process exits first or `timeoutMs` passes. */
  waitFor(pattern: RegExp | string, timeoutMs?: number): Promise<void>;
  /** Sends `signal` and waits for the exit (SIGKILL after `graceMs`, which fails the caller's checks of a clean stop). */
  stop(signal?: NodeJS.Signals, graceMs?: number): Promise<number | null>;
}

/** Every process started here, so a test's `after` can be sure none outlives it. */
const alive = new Set<ChildProcess>();

/** Starts `hardhat <args>`; once it is gone its output is recorded for the error-output scan (test/e2e/zz-error-output.test.ts). */
export function startHardhat(args: string[], opts: CliOptions): Running {
  const child = spawn(process.execPath, [opts.cli ?? HARDHAT_CLI, ...args], { cwd: opts.cwd, env: userEnv(opts.env) });
  alive.add(child);
  const testFile = callerTestFile();
  let out = "";
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d: Buffer) => {
    out += d.toString();
    stdout += d.toString();
  });
  child.stderr.on("data", (d: Buffer) => {
    out += d.toString();
    stderr += d.toString();
  });
  const exited = new Promise<number | null>((resolve) =>
    child.once("exit", (code, signal) => {
      alive.delete(child);
      resolve(code ?? (signal === null ? null : -1));
    }),
  );
  // On close the output is complete. child.killed: this side sent a signal (stop, killAll), so a
  // non-zero exit is not an error of the process's own.
  child.once("close", (code, signal) =>
    recordOutput({ kind: "cli", args, testFile, code: code ?? (signal === null ? null : -1), stoppedByTest: child.killed, stdout, stderr }),
  );
  let gone = false;
  void exited.then(() => (gone = true));
  const matches = (pattern: RegExp | string) => (typeof pattern === "string" ? out.includes(pattern) : pattern.test(out));
  return {
    child,
    output: () => out,
    stdout: () => stdout,
    exited,
    async waitFor(pattern, timeoutMs = 120_000) {
      const until = Date.now() + timeoutMs;
      while (!matches(pattern)) {
        if (gone) throw new Error(`hardhat ${args.join(" ")} exited before printing ${String(pattern)}:\n${out}`);
        if (Date.now() > until) throw new Error(`hardhat ${args.join(" ")} did not print ${String(pattern)} in ${timeoutMs} ms:\n${out}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    },
    async stop(signal = "SIGINT", graceMs = 30_000) {
      if (!gone) child.kill(signal);
      const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}

/** `hardhat node` on 127.0.0.1:`port`, once it listens. */
export async function startNode(cwd: string, port: number, cli?: string): Promise<Running> {
  const node = startHardhat(["node", "--hostname", "127.0.0.1", "--port", String(port)], { cwd, cli });
  await node.waitFor(`127.0.0.1:${port}`);
  return node;
}

/** Kills whatever is still running (a failed test's processes): SIGKILL, then waits for the exits. */
export async function killAll(): Promise<void> {
  const exits = [...alive].map(
    (child) =>
      new Promise((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve(undefined) : child.once("exit", resolve))),
  );
  for (const child of alive) child.kill("SIGKILL");
  await Promise.all(exits);
}

/** Whether 127.0.0.1:`port` can be listened on right now. */
export async function portIsFree(port: number): Promise<boolean> {
  const server = net.createServer();
  const free = await new Promise<boolean>((resolve) => {
    server.once("error", () => resolve(false));
    server.listen(port, "127.0.0.1", () => resolve(true));
  });
  if (free) await new Promise((resolve) => server.close(resolve));
  return free;
}

/** Holds 127.0.0.1:`port` (as another program would) until closed. */
export async function holdPort(port: number): Promise<{ close: () => Promise<void> }> {
  const server = net.createServer();
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", resolve);
  });
  return { close: () => new Promise((resolve) => server.close(() => resolve())) };
}
