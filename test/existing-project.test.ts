import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, rm, symlink } from "node:fs/promises";
import path from "node:path";

import { expect } from "chai";
import type { HardhatUserConfig } from "hardhat/config";
import { createHardhatRuntimeEnvironment } from "hardhat/hre";

import { packageRoot } from "../src/package-root.js";

import { freePort } from "./helpers/net.js";
import { FIXTURES } from "./helpers/project.js";

const PROJECT = path.join(FIXTURES, "existing-project");
const HARDHAT_CLI = path.join(packageRoot(), "node_modules", "hardhat", "dist", "src", "cli.js");

/** Installs hardhat-flai into the fixture the way npm links a local package: node_modules/hardhat-flai → this repo. */
async function installPlugin(): Promise<void> {
  if (!existsSync(path.join(packageRoot(), "dist", "src", "index.js"))) {
    throw new Error("hardhat-flai is not built: run `npm run build` (npm test does)");
  }
  const link = path.join(PROJECT, "node_modules", "hardhat-flai");
  await mkdir(path.dirname(link), { recursive: true });
  await rm(link, { force: true, recursive: true });
  await symlink(packageRoot(), link, "dir");
  await rm(path.join(PROJECT, ".flai"), { recursive: true, force: true });
  await rm(path.join(PROJECT, "ignition"), { recursive: true, force: true });
}

/** The environment of a user's shell in the fixture: without the variables `hardhat test` sets for itself. */
// The variables @nomicfoundation/hardhat-utils' isCi() looks at.
const CI_MARKERS = ["CI", "CONTINUOUS_INTEGRATION", "GITHUB_ACTIONS", "BUILD_NUMBER", "RUN_ID", "NOW", "DEPLOYMENT_ID", "CODEBUILD_BUILD_NUMBER"];

function userEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = { ...process.env, ...extra };
  delete env.HARDHAT_CONFIG;
  delete env.HH_TEST;
  // Hardhat always prints stack traces when it detects a CI server; these
  // runs stand for a user at a terminal, so they must not look like CI.
  for (const name of CI_MARKERS) delete env[name];
  return env;
}

function hardhat(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [HARDHAT_CLI, ...args], { cwd: PROJECT, env: userEnv(env) });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}


async function waitFor(check: () => boolean, timeoutMs: number, what: () => string): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > until) {
      throw new Error(`timed out; output so far:\n${what()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function startNode(port: number): Promise<ChildProcess> {
  const child = spawn(process.execPath, [HARDHAT_CLI, "node", "--hostname", "127.0.0.1", "--port", String(port)], { cwd: PROJECT, env: userEnv() });
  await new Promise<void>((resolve, reject) => {
    let seen = "";
    const timer = setTimeout(() => reject(new Error(`hardhat node did not start:\n${seen}`)), 60_000);
    const onData = (d: Buffer) => {
      seen += d.toString();
      if (seen.includes(`127.0.0.1:${port}`)) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", onData);
    child.once("exit", (code) => reject(new Error(`hardhat node exited (${code}):\n${seen}`)));
  });
  return child;
}

describe("an existing Hardhat project that only adds hardhat-flai to its plugins", function () {
  this.timeout(300_000);

  before(installPlugin);

  it("runs the flow through hre.flai", async () => {
    const { default: config } = (await import(path.join(PROJECT, "hardhat.config.ts"))) as { default: HardhatUserConfig };
    const hre = await createHardhatRuntimeEnvironment(config, {}, PROJECT);
    const connection = await hre.network.create();
    await hre.flai.jobs.registerEnclave({ connection });
    const submitted = await hre.flai.jobs.submit({
      data: path.join(FIXTURES, "data.csv"),
      model: path.join(FIXTURES, "model.json"),
      reward: "0.5",
      connection,
    });
    const result = await hre.flai.jobs.train(submitted.job.id, { connection });
    const completed = await hre.flai.jobs.complete(result, { connection });
    expect(completed.job.status).to.equal("completed");
    expect((await hre.flai.jobs.get(submitted.job.id, { connection })).resultHash).to.equal(result.resultHash);
  });

  it("runs flai:demo in one process", async () => {
    const run = await hardhat(["flai:demo"]);
    expect(run.code, run.stderr).to.equal(0);
    expect(run.stdout).to.match(/New Job Submitted with ID: 1/);
    expect(run.stdout).to.match(/Job 1 marked complete with result hash: [0-9a-f]{64}/);
    expect(run.stdout).to.contain("= on-chain result hash: true");
  });

  it("runs the step-by-step tasks against `hardhat node`, reusing one deployment", async () => {
    const port = await freePort();
    const node = await startNode(port);
    const env = { FLAI_FIXTURE_RPC: `http://127.0.0.1:${port}` };
    const net = ["--network", "localnode"];
    const json = async (args: string[]) => {
      const run = await hardhat([...args, ...net, "--json"], env);
      expect(run.code, `${args.join(" ")}\n${run.stdout}\n${run.stderr}`).to.equal(0);
      return JSON.parse(run.stdout) as Record<string, any>;
    };
    try {
      const none = await hardhat(["flai:job", "1", ...net], env);
      expect(none.code).to.not.equal(0);
      expect(none.stderr + none.stdout).to.match(/No FLAIComputeJobs deployment.*flai:deploy --network localnode/);

      const deployed = await json(["flai:deploy"]);
      expect(deployed.deployedNow).to.equal(true);
      const again = await json(["flai:deploy"]);
      expect(again).to.deep.include({ address: deployed.address, deployedNow: false });

      const enclave = await json(["flai:enclave"]);
      expect(enclave.report.signer).to.equal(deployed.enclave.signer);
      const uploaded = await json(["flai:upload", path.join(FIXTURES, "model.json")]);
      const copy = path.join(PROJECT, ".flai", "model-copy.json");
      const downloaded = await json(["flai:download", uploaded.root, copy]);
      expect(downloaded).to.deep.include({ root: uploaded.root, size: uploaded.size });
      const submitted = await json(["flai:submit", "--data", path.join(FIXTURES, "data.json"), "--model", uploaded.root, "--reward", "0.01"]);
      expect(submitted.job.id).to.equal("1");
      const trained = await json(["flai:train", "--job", "1"]);
      const completed = await json(["flai:complete", "--job", "1", "--result", trained.resultFile]);
      expect(completed.job.resultHash).to.equal(trained.result.resultHash);
      const job = await json(["flai:job", "1"]);
      expect(job).to.deep.include({ status: "completed", resultHash: trained.result.resultHash });

      const twice = await hardhat(["flai:complete", "--job", "1", "--result", trained.resultFile, ...net], env);
      expect(twice.code).to.not.equal(0);
      expect(twice.stderr + twice.stdout).to.match(/already completed/);
      expect(twice.stderr + twice.stdout).to.not.match(/^\s+at /m);
    } finally {
      node.kill();
    }
  });

  it("serves flai:devnet beside `hardhat node`: files stored through the 0G storage SDK, a paid inference through the compute SDK", async () => {
    const [rpcPort, indexerPort] = [await freePort(), await freePort()];
    const node = await startNode(rpcPort);
    const env = { FLAI_FIXTURE_RPC: `http://127.0.0.1:${rpcPort}` };
    const computePort = await freePort();
    const devnet = spawn(process.execPath, [HARDHAT_CLI, "flai:devnet", "--port", String(indexerPort), "--compute-port", String(computePort), "--network", "localnode"], {
      cwd: PROJECT,
      env: userEnv(env),
    });
    let out = "";
    devnet.stdout.on("data", (d: Buffer) => (out += d.toString()));
    devnet.stderr.on("data", (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((resolve) => devnet.once("exit", resolve));
    try {
      await waitFor(() => out.includes("Press Ctrl-C"), 60_000, () => out);
      expect(out).to.contain(`http://127.0.0.1:${indexerPort}`);
      const storageEnv = { ...env, FLAI_FIXTURE_INDEXER: `http://127.0.0.1:${indexerPort}` };
      const up = await hardhat(["flai:upload", path.join(FIXTURES, "data.csv"), "--network", "localnode", "--json"], storageEnv);
      expect(up.code, up.stderr + up.stdout).to.equal(0);
      const uploaded = JSON.parse(up.stdout) as { root: string; txHash: string; backend: string };
      expect(uploaded.backend).to.equal("0g");
      expect(uploaded.txHash).to.match(/^0x[0-9a-f]{64}$/);
      const dest = path.join(PROJECT, ".flai", "data-from-devnet.csv");
      const down = await hardhat(["flai:download", uploaded.root, dest, "--network", "localnode"], storageEnv);
      expect(down.code, down.stderr + down.stdout).to.equal(0);
      expect(down.stdout).to.contain("its 0G root matches");
      const market = await hardhat(["flai:market-compute", "--prompt", "[1,50,-3,100,1,0,20,-10]", "--ledger", "3", "--network", "localnode", "--json"], env);
      expect(market.code, market.stderr + market.stdout).to.equal(0);
      const flow = JSON.parse(market.stdout) as { ping: { verified: boolean; answer: string; fee: string } };
      expect(flow.ping.verified).to.equal(true);
      expect(flow.ping.answer).to.match(/prediction: [01]/);
      expect(BigInt(flow.ping.fee) > 0n).to.equal(true);
    } finally {
      devnet.kill("SIGINT");
      expect(await exited).to.equal(0);
      expect(out).to.contain("devnet stopped");
      node.kill();
    }
  });

  it("reports bad task input as a plugin error without a stack trace", async () => {
    const run = await hardhat(["flai:submit", "--data", "missing.json", "--model", "model.json", "--reward", "0.01"]);
    expect(run.code).to.not.equal(0);
    expect(run.stderr + run.stdout).to.match(/missing\.json/);
    expect(run.stderr + run.stdout).to.match(/Error in community plugin hardhat-flai:/);
    expect(run.stderr + run.stdout).to.not.match(/^\s+at /m);
  });
});
