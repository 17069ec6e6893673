// Times a whole command as a user runs it: from spawn to exit, and when its last output line came
// (a gap between the two is the process held open after it finished its work).
import { spawn } from "node:child_process";

export interface Timed {
  /** Spawn to exit. */
  ms: number;
  /** Spawn to the last chunk of output. */
  lastOutputMs: number;
  code: number | null;
  stdout: string;
  stderr: string;
}

export function timeCommand(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = process.env): Promise<Timed> {
  const start = performance.now();
  let lastOutputMs = 0;
  let stdout = "";
  let stderr = "";
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
    child.stdout.on("data", (c: Buffer) => {
      stdout += c.toString("utf8");
      lastOutputMs = performance.now() - start;
    });
    child.stderr.on("data", (c: Buffer) => {
      stderr += c.toString("utf8");
      lastOutputMs = performance.now() - start;
    });
    child.once("error", reject);
    child.once("close", (code) => resolve({ ms: performance.now() - start, lastOutputMs, code, stdout, stderr }));
  });
}

/** The fastest of `runs` (the least disturbed by other load), failing loudly on a non-zero exit. */
export async function bestOf(runs: number, command: string, args: string[], cwd: string): Promise<Timed> {
  let best: Timed | undefined;
  for (let i = 0; i < runs; i++) {
    const t = await timeCommand(command, args, cwd);
    if (t.code !== 0) {
      throw new Error(`${command} ${args.join(" ")} exited with ${t.code}:\n${t.stderr.slice(-2000)}`);
    }
    if (best === undefined || t.ms < best.ms) best = t;
  }
  return best!;
}

export interface Command {
  command: string;
  args: string[];
  cwd: string;
  /** Added to this process's environment. */
  env?: Record<string, string>;
}

/**
 * Every command `runs` times, taking turns (a, b, a, b, …) so that a change in the machine's load
 * falls on all of them alike; each command's runs in order. Fails loudly on a non-zero exit.
 */
export async function interleaved(runs: number, commands: Command[]): Promise<Timed[][]> {
  const times: Timed[][] = commands.map(() => []);
  for (let i = 0; i < runs; i++) {
    for (const [k, { command, args, cwd, env }] of commands.entries()) {
      const t = await timeCommand(command, args, cwd, { ...process.env, ...env });
      if (t.code !== 0) throw new Error(`${command} ${args.join(" ")} exited with ${t.code}:\n${t.stderr.slice(-2000)}`);
      times[k]!.push(t);
    }
  }
  return times;
}

export const fastest = (runs: Timed[]): number => Math.min(...runs.map((t) => t.ms));

export function median(runs: Timed[]): number {
  const ms = runs.map((t) => t.ms).sort((a, b) => a - b);
  const mid = ms.length >> 1;
  return ms.length % 2 === 1 ? ms[mid]! : (ms[mid - 1]! + ms[mid]!) / 2;
}
