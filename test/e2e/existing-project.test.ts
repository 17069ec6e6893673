import { execFile } from "node:child_process";
import { cp, copyFile, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";

import { promisify } from "node:util";

import { expect } from "chai";

import { packageRoot } from "../../src/package-root.js";

import { type CliRun, runHardhat } from "../helpers/cli.js";
import { freePort } from "../helpers/net.js";
import { installedVersion, npm, packThisPackage } from "../helpers/npm.js";
import { killAll, startHardhat, startNode } from "../helpers/processes.js";
import { FIXTURES } from "../helpers/project.js";

/** What a user's project installs next to hardhat-flai (the versions this repository tests with). */
const USER_PACKAGES = [
  "hardhat",
  "@nomicfoundation/hardhat-ethers",
  "@nomicfoundation/hardhat-ignition",
  "@nomicfoundation/hardhat-ignition-ethers",
  "ethers",
  "solc",
];

// npm's words for a dependency tree it had to bend: a user must see none of them.
const PEER_TROUBLE = /ERESOLVE|invalid|peer dep|Conflicting peer|overriding peer/i;

/** A plain Hardhat 3 project outside this repository: the fixture's files, no node_modules. */
async function createUserProject(): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "flai-user-project-"));
  const fixture = path.join(FIXTURES, "existing-project");
  for (const file of ["package.json", "hardhat.config.ts"]) await copyFile(path.join(fixture, file), path.join(dir, file));
  await cp(path.join(fixture, "contracts"), path.join(dir, "contracts"), { recursive: true });
  return dir;
}

/** `npm pack` this repository and `npm i -D` the tarball into the project, as a user does. */
async function installPackedPlugin(project: string): Promise<{ installLog: string; files: string[] }> {
  const { tarball, files } = await packThisPackage(project);
  const specs = await Promise.all(USER_PACKAGES.map(async (name) => `${name}@${await installedVersion(name)}`));
  // --prefer-offline: the packages are in npm's cache from this repository's own install.
  const install = await npm(["install", "--save-dev", "--no-audit", "--no-fund", "--prefer-offline", ...specs, tarball], project);
  if (install.code !== 0) throw new Error(`installing the packed hardhat-flai failed:\n${install.output}`);
  await rm(tarball);
  return { installLog: install.output, files };
}

/** A user's script naming the package's public types (type-only: it is compiled, not run). */
const TYPES_CONSUMER = `import hre from "hardhat";
import type { FlaiMarketSettings, FlaiRuntime, JobView, RoundView, StorageBackend, VerifyItem } from "hardhat-flai";

export async function check(): Promise<void> {
  const flai: FlaiRuntime = hre.flai;
  const job: JobView = await flai.jobs.get(1n);
  const round: RoundView = await flai.fedavg.round(1n, 1);
  const storage: StorageBackend = flai.storage;
  const items: VerifyItem[] = await flai.verify.job(job.id);
  const market: FlaiMarketSettings = hre.config.flai.market;
  void [round, storage, items, market];
}
`;
const CONSUMER_TSCONFIG = {
  compilerOptions: {
    target: "ES2023",
    module: "NodeNext",
    moduleResolution: "NodeNext",
    strict: true,
    skipLibCheck: true,
    noEmit: true,
    types: [],
  },
  files: ["types-consumer.ts"],
};

let PROJECT = "";
let HARDHAT_CLI = "";
let installLog = "";
let packedFiles: string[] = [];

/** hardhat in the user's project, as a user at a terminal runs it. */
function hardhat(args: string[], env: Record<string, string> = {}): Promise<CliRun> {
  return runHardhat(args, { cwd: PROJECT, env, cli: HARDHAT_CLI });
}

describe("an existing Hardhat project that only adds hardhat-flai to its plugins", function () {
  this.timeout(300_000);

  before(async function () {
    this.timeout(600_000);
    PROJECT = await createUserProject();
    HARDHAT_CLI = path.join(PROJECT, "node_modules", "hardhat", "dist", "src", "cli.js");
    ({ installLog, files: packedFiles } = await installPackedPlugin(PROJECT));
  });

  after(async () => {
    await killAll();
    if (PROJECT !== "") await rm(PROJECT, { recursive: true, force: true });
  });

  it("packs what a user needs and nothing else: a LICENSE, no source maps, nothing test-only", () => {
    expect(packedFiles).to.include.members([
      "LICENSE",
      "README.md",
      "package.json",
      "dist/src/index.js",
      "vendor/0g-storage-sdk.js",
      "vendor/0g-compute-sdk.js",
    ]);
    expect(packedFiles.filter((file) => file.endsWith(".map"))).to.deep.equal([]);
    const shipped =
      /^(LICENSE|README\.md|package\.json|dist\/(src|tasks|ignition)\/|src\/.*\.ts$|vendor\/|artifacts\/contracts\/|contracts\/[A-Za-z]+\.sol$|fixtures\/(data\.json|data\.csv|model\.json|landcover\.csv|landcover-test\.csv)$)/;
    expect(packedFiles.filter((file) => !shipped.test(file))).to.deep.equal([]);
    expect(packedFiles.filter((file) => /(^|\/)(test|bench|scripts)\/|\.t\.sol$|existing-project/.test(file))).to.deep.equal([]);
  });

  it("installs from the packed tarball with no peer-dependency warnings and a valid npm tree", async () => {
    expect(installLog.split("\n").filter((line) => PEER_TROUBLE.test(line))).to.deep.equal([]);
    const ls = await npm(["ls", "--all"], PROJECT);
    expect(ls.code, ls.output).to.equal(0);
    const manifest = JSON.parse(await readFile(path.join(PROJECT, "node_modules", "hardhat-flai", "package.json"), "utf8")) as {
      scripts?: Record<string, string>;
    };
    // A consumer's install runs no script of ours (npm runs `prepare` only in a checkout, never for a tarball).
    const installHooks = ["preinstall", "install", "postinstall"].filter((hook) => manifest.scripts?.[hook] !== undefined);
    expect(installHooks).to.deep.equal([]);
  });

  it("runs the README's hre.flai code sample as printed, on a fresh network", async () => {
    const readme = await readFile(path.join(packageRoot(), "README.md"), "utf8");
    const sample = /```ts\n(import hre from "hardhat";\n[\s\S]*?)```/.exec(readme)?.[1];
    expect(sample, "README.md has the hre.flai sample").to.be.a("string");
    await copyFile(path.join(FIXTURES, "data.csv"), path.join(PROJECT, "data.csv"));
    await copyFile(path.join(FIXTURES, "model.json"), path.join(PROJECT, "model.json"));
    await writeFile(path.join(PROJECT, "flai-sample.ts"), sample!);
    const run = await hardhat(["run", "flai-sample.ts"]);
    expect(run.code, run.stderr + run.stdout).to.equal(0);
    expect(run.stdout).to.match(/status: 'completed'/);
    expect(run.stdout).to.match(/resultHash: '0x[0-9a-f]{64}'/);
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
    const node = await startNode(PROJECT, port, HARDHAT_CLI);
    const env = { FLAI_FIXTURE_RPC: `http://127.0.0.1:${port}` };
    const net = ["--network", "localnode"];
    const json = async <T = Record<string, unknown>>(args: string[]) => {
      const run = await hardhat([...args, ...net, "--json"], env);
      expect(run.code, `${args.join(" ")}\n${run.stdout}\n${run.stderr}`).to.equal(0);
      return JSON.parse(run.stdout) as T;
    };
    try {
      const none = await hardhat(["flai:job", "--job", "1", ...net], env);
      expect(none.code).to.not.equal(0);
      expect(none.stderr + none.stdout).to.match(/No hardhat-flai deployment is known for network "localnode".*flai\.deployments/);
      expect(none.stderr + none.stdout).not.to.contain("flai:deploy");

      const deployed = await json<{ address: string; deployedNow: boolean; enclave: { signer: string } }>(["flai:deploy"]);
      expect(deployed.deployedNow).to.equal(true);
      const again = await json(["flai:deploy"]);
      expect(again).to.deep.include({ address: deployed.address, deployedNow: false });

      const enclave = await json<{ report: { signer: string } }>(["flai:enclave"]);
      expect(enclave.report.signer).to.equal(deployed.enclave.signer);
      const uploaded = await json<{ root: string; size: number }>(["flai:upload", path.join(FIXTURES, "model.json")]);
      const copy = path.join(PROJECT, ".flai", "model-copy.json");
      const downloaded = await json(["flai:download", uploaded.root, copy]);
      expect(downloaded).to.deep.include({ root: uploaded.root, size: uploaded.size });
      const submitted = await json<{ job: { id: string } }>([
        "flai:submit",
        "--data",
        path.join(FIXTURES, "data.json"),
        "--model",
        uploaded.root, // a plaintext root: public already, so the job is --public
        "--reward",
        "0.01",
        "--public",
      ]);
      expect(submitted.job.id).to.equal("1");
      const trained = await json<{ resultFile: string; result: { resultHash: string } }>(["flai:train", "--job", "1"]);
      const completed = await json<{ job: { resultHash: string } }>(["flai:complete", "--job", "1", "--result", trained.resultFile]);
      expect(completed.job.resultHash).to.equal(trained.result.resultHash);
      const job = await json(["flai:job", "--job", "1"]);
      expect(job).to.deep.include({ status: "completed", resultHash: trained.result.resultHash });

      const twice = await hardhat(["flai:complete", "--job", "1", "--result", trained.resultFile, ...net], env);
      expect(twice.code).to.not.equal(0);
      expect(twice.stderr + twice.stdout).to.match(/already completed/);
      expect(twice.stderr + twice.stdout).to.not.match(/^\s+at /m);

      // A private job (the default): the submitter reads its model; another account is refused.
      const secret = await json<{ job: { id: string }; private: boolean }>([
        "flai:submit",
        "--data",
        path.join(FIXTURES, "data.csv"),
        "--model",
        path.join(FIXTURES, "model.json"),
        "--reward",
        "0.01",
      ]);
      expect(secret.private).to.equal(true);
      const sealed = await json<{ result: { resultHash: string; private: boolean } }>(["flai:train", "--job", secret.job.id, "--complete"]);
      expect(sealed.result.private).to.equal(true);
      const out = path.join(PROJECT, ".flai", "private-model.json");
      const read = await json<{ resultHash: string; private: boolean }>(["flai:result", "--job", secret.job.id, "--out", out]);
      expect(read).to.deep.include({ resultHash: sealed.result.resultHash, private: true });
      const other = await hardhat(["flai:result", "--job", secret.job.id, "--out", `${out}.2`, "--account", "1", ...net], env);
      expect(other.code).to.not.equal(0);
      expect(other.stderr + other.stdout).to.match(/only the submitter \(and the enclave that trained it\) can read it/);
    } finally {
      await node.stop("SIGKILL");
    }
  });

  it("serves flai:devnet beside `hardhat node`: files stored through the 0G storage SDK, a paid inference through the compute SDK", async () => {
    const [rpcPort, indexerPort] = [await freePort(), await freePort()];
    const node = await startNode(PROJECT, rpcPort, HARDHAT_CLI);
    const env = { FLAI_FIXTURE_RPC: `http://127.0.0.1:${rpcPort}` };
    const computePort = await freePort();
    const devnet = startHardhat(
      ["flai:devnet", "--port", String(indexerPort), "--compute-port", String(computePort), "--network", "localnode"],
      {
        cwd: PROJECT,
        env,
        cli: HARDHAT_CLI,
      },
    );
    try {
      await devnet.waitFor("Press Ctrl-C", 60_000);
      const out = devnet.output();
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
      const market = await hardhat(
        ["flai:market-compute", "--prompt", "[1,50,-3,100,1,0,20,-10]", "--ledger", "3", "--network", "localnode", "--json"],
        env,
      );
      expect(market.code, market.stderr + market.stdout).to.equal(0);
      const flow = JSON.parse(market.stdout) as { ping: { verified: boolean; answer: string; fee: string } };
      expect(flow.ping.verified).to.equal(true);
      expect(flow.ping.answer).to.match(/prediction: [01]/);
      expect(BigInt(flow.ping.fee) > 0n).to.equal(true);
    } finally {
      expect(await devnet.stop("SIGINT")).to.equal(0);
      expect(devnet.output()).to.contain("devnet stopped");
      await node.stop("SIGKILL");
    }
  });

  it("gives a TypeScript user the types hre.flai takes and returns, from the package", async () => {
    // This repository's compiler over the installed package's .d.ts files, as a user's editor sees them.
    await writeFile(path.join(PROJECT, "types-consumer.ts"), TYPES_CONSUMER);
    await writeFile(path.join(PROJECT, "tsconfig.types-consumer.json"), JSON.stringify(CONSUMER_TSCONFIG));
    const tsc = path.join(packageRoot(), "node_modules", "typescript", "bin", "tsc");
    const run = await promisify(execFile)(process.execPath, [tsc, "-p", "tsconfig.types-consumer.json"], { cwd: PROJECT }).then(
      () => "",
      (error: { stdout?: string; message: string }) => error.stdout || error.message,
    );
    expect(run).to.equal("");
  });

  it("reports bad task input as a plugin error without a stack trace", async () => {
    const run = await hardhat(["flai:submit", "--data", "missing.json", "--model", "model.json", "--reward", "0.01"]);
    expect(run.code).to.not.equal(0);
    expect(run.stderr + run.stdout).to.match(/missing\.json/);
    expect(run.stderr + run.stdout).to.match(/Error in community plugin hardhat-flai:/);
    expect(run.stderr + run.stdout).to.not.match(/^\s+at /m);
  });
});
