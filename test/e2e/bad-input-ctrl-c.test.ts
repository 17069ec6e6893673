import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { mkdir, open, readdir, rm } from "node:fs/promises";
import path from "node:path";

import { expect } from "chai";

import { pluginProject, runHardhat } from "../helpers/cli.js";
import { freePort } from "../helpers/net.js";
import { killAll, startHardhat, startNode, type Running } from "../helpers/processes.js";

const MiB = 1024 * 1024;
// Big enough that the transfer is still under way when the signal arrives (a 64 MiB upload to the
// devnet takes about 1.5 s after start-up; the signal is sent as soon as the transfer is seen).
const SIZE = 64 * MiB;
// A hang guard, not a timing claim: a process that ignored the signal would run until this.
const HANG_MS = 60_000;

/** A file of `size` pseudo-random bytes (incompressible, distinct per seed). */
async function randomFile(file: string, size: number, seed: number): Promise<void> {
  const handle = await open(file, "w");
  const chunk = Buffer.alloc(MiB);
  let x = seed >>> 0 || 1;
  for (let written = 0; written < size; written += chunk.length) {
    for (let i = 0; i < chunk.length; i += 4) {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      chunk.writeUInt32LE(x >>> 0, i);
    }
    await handle.write(chunk);
  }
  await handle.close();
}

/** Pids of every descendant of `pid` now (Linux /proc through ps). */
function descendants(pid: number): number[] {
  let out: string;
  try {
    out = execFileSync("ps", ["-e", "-o", "pid=,ppid="], { encoding: "utf8" });
  } catch {
    return [];
  }
  const children = new Map<number, number[]>();
  for (const line of out.trim().split("\n")) {
    const [child, parent] = line.trim().split(/\s+/).map(Number) as [number, number];
    children.set(parent, [...(children.get(parent) ?? []), child]);
  }
  const found: number[] = [];
  const queue = [pid];
  while (queue.length > 0) {
    for (const child of children.get(queue.shift()!) ?? []) {
      found.push(child);
      queue.push(child);
    }
  }
  return found;
}

/** Whether `pid` still runs: a zombie (exited, waiting to be reaped by its new parent) does not. */
function alive(pid: number): boolean {
  try {
    // /proc/<pid>/stat: "pid (name) state …"; the name may hold spaces, so read after the last ")".
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
  } catch {
    return false;
  }
}

/** Names in `dir` (none when it does not exist), without tsx's compile cache (tsx-<uid>, kept on purpose). */
async function names(dir: string): Promise<string[]> {
  return (await readdir(dir).catch(() => [] as string[])).filter((name) => !/^tsx-\d+$/.test(name)).sort();
}

/** Polls until `seen()` holds (the transfer is under way) or the process ends. */
async function waitUntil(run: Running, seen: () => Promise<boolean> | boolean, what: string): Promise<void> {
  let gone = false;
  void run.exited.then(() => (gone = true));
  const until = Date.now() + HANG_MS;
  while (!(await seen())) {
    if (gone) throw new Error(`the process ended before ${what}:\n${run.output()}`);
    if (Date.now() > until) throw new Error(`no ${what} within ${HANG_MS} ms:\n${run.output()}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/**
 * Sends `signal` once the transfer is seen, and checks the process ends by that signal (Node's
 * default: killed by it, or exit code 128 + n), well before the hang guard, with no process of its own left.
 */
async function interrupt(run: Running, signal: NodeJS.Signals): Promise<void> {
  const pid = run.child.pid!;
  const kids = descendants(pid);
  const ended = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    run.child.once("exit", (code, sig) => resolve({ code, signal: sig })),
  );
  run.child.kill(signal);
  const timer = setTimeout(() => run.child.kill("SIGKILL"), HANG_MS);
  const exit = await ended;
  clearTimeout(timer);
  const expectedCode = 128 + (signal === "SIGINT" ? 2 : 15);
  expect(exit.signal === signal || exit.code === expectedCode, `ended with ${JSON.stringify(exit)}:\n${run.output()}`).to.equal(true);
  expect(run.output()).to.not.match(/^\s+at /m);
  // A helper such as tsx's esbuild service exits when its pipe to the dead CLI closes, a moment later.
  const until = Date.now() + 10_000;
  while (kids.some(alive) && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, 20));
  for (const kid of kids)
    expect(
      alive(kid),
      `child process ${kid} of the interrupted CLI is still running: ${execFileSync("ps", ["-o", "pid,ppid,stat,args", "-p", String(kid)], { encoding: "utf8" }).slice(0, 500)}`,
    ).to.equal(false);
}

// Issue 15: Ctrl-C during a download left a hidden 1.1 GB temp file; during an upload a 52 MB one
// inside .flai/storage. The real CLI, interrupted mid-transfer, must end by the signal and leave no
// temp file: not beside --out, not in the store, not in its temp folder (TMPDIR), and no process.
describe("bad input (issue 15): Ctrl-C / SIGTERM mid-transfer through the real CLI leaves nothing behind", function () {
  this.timeout(300_000);
  let node: Running;
  let devnet: Running;
  let project: string;
  let env: Record<string, string>;
  let tmp: string;
  let big: string;
  let storedRoot = "";

  before(async () => {
    const [nodePort, indexerPort, computePort] = [await freePort(), await freePort(), await freePort()];
    ({ project, env } = await pluginProject(
      "flai-ctrl-c",
      `networks: { local: { type: "http", url: "http://127.0.0.1:${nodePort}" } }, ` +
        `flai: { storage: { backend: "0g", indexerUrl: "http://127.0.0.1:${indexerPort}" } }`,
    ));
    // The CLI's os.tmpdir(): a folder of this test's own, so a snapshot sees only what the CLI left.
    tmp = path.join(project, "tmp");
    await mkdir(tmp);
    env = { ...env, TMPDIR: tmp };
    node = await startNode(project, nodePort);
    devnet = startHardhat(["flai:devnet", "--port", String(indexerPort), "--compute-port", String(computePort), "--network", "local"], {
      cwd: project,
      env,
    });
    await devnet.waitFor("Press Ctrl-C");
    big = path.join(project, "big.bin");
    await randomFile(big, SIZE, 1);
  });
  after(async () => {
    await devnet?.stop("SIGINT");
    await node?.stop("SIGINT");
    await killAll();
    if (project !== undefined) await rm(project, { recursive: true, force: true });
  });

  const cli = (args: string[]) => startHardhat([...args, "--network", "local"], { cwd: project, env });

  it("flai:upload to 0G storage, SIGINT once its Flow transaction is sent: ends by SIGINT, no temp file, no process", async () => {
    const before = await names(tmp);
    const upload = cli(["flai:upload", big]);
    // The submission is mined before the segments go to the node: the transfer is then under way.
    const mark = node.output().length;
    await waitUntil(upload, () => /eth_send(Raw)?Transaction/.test(node.output().slice(mark)), "upload transaction");
    await interrupt(upload, "SIGINT");
    expect(await names(tmp)).to.deep.equal(before);
    expect((await names(project)).filter((name) => name.endsWith(".tmp"))).to.deep.equal([]);
  });

  it("flai:download from 0G storage, SIGINT and then SIGTERM mid-download: no temp file beside --out or in TMPDIR", async () => {
    const stored = await runHardhat(["flai:upload", big, "--json", "--network", "local"], { cwd: project, env });
    expect(stored.code, stored.stderr).to.equal(0);
    storedRoot = JSON.parse(stored.stdout).root as string;
    for (const signal of ["SIGINT", "SIGTERM"] as const) {
      const outDir = path.join(project, `out-${signal}`);
      await mkdir(outDir);
      const before = await names(tmp);
      const download = cli(["flai:download", storedRoot, path.join(outDir, "copy.bin")]);
      await waitUntil(download, async () => (await names(outDir)).some((name) => name.endsWith(".tmp")), "temp file beside --out");
      await interrupt(download, signal);
      expect(await names(outDir), `${signal} left files beside --out`).to.deep.equal([]);
      expect(await names(tmp)).to.deep.equal(before);
    }
  });

  it("flai:upload with the local backend, SIGINT while the blob is copied into .flai/storage: no temp file there", async () => {
    const local = await pluginProject("flai-ctrl-c-local");
    const store = path.join(local.project, ".flai", "storage");
    const localTmp = path.join(local.project, "tmp");
    await mkdir(localTmp);
    const file = path.join(local.project, "big.bin");
    await randomFile(file, SIZE, 2);
    const upload = startHardhat(["flai:upload", file], { cwd: local.project, env: { ...local.env, TMPDIR: localTmp } });
    await waitUntil(upload, async () => (await names(store)).some((name) => name.endsWith(".tmp")), "temp file in .flai/storage");
    await interrupt(upload, "SIGINT");
    expect(await names(store)).to.deep.equal([]);
    expect(await names(localTmp)).to.deep.equal([]);
    expect(existsSync(file)).to.equal(true);
    await rm(local.project, { recursive: true, force: true });
  });
});
