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
