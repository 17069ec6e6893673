import { existsSync, readFileSync } from "node:fs";
import { mkdir, readdir, rm, writeFile } from "node:fs/promises";
import path from "node:path";

import { expect } from "chai";

import { acquireDeployLock, deployLockPath } from "../../src/chain/deploy-lock.js";

import { expectFlaiError } from "../helpers/assert.js";
import { pluginProject, runHardhat } from "../helpers/cli.js";
import { freePort } from "../helpers/net.js";
import { killAll, startHardhat, startNode, type Running } from "../helpers/processes.js";
import { tempDir } from "../helpers/project.js";

// A pid no process has (above Linux's pid_max of 2^22).
const DEAD_PID = 999_999_999;
const HARDHAT_NODE_CHAIN = 31337n;

// Issue 15: two `flai:deploy` at once on the same project and chain both found no Ignition record and
// both deployed from the same account; the second died with "Nonce too low" and a stack trace.
describe("bad input (issue 15): concurrent flai:deploy", function () {
  this.timeout(180_000);
  let node: Running;
  let project: string;
  let env: Record<string, string>;

  before(async () => {
    const port = await freePort();
    ({ project, env } = await pluginProject(
      "flai-deploy-race",
      `networks: { localnode: { type: "http", url: "http://127.0.0.1:${port}" } }`,
    ));
    node = await startNode(project, port);
  });
  // Every temp folder this file makes (projects, lock roots), removed at the end.
  const made: string[] = [];
  after(async () => {
    await node?.stop();
    await killAll();
    for (const dir of [project, ...made]) if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  const deploy = () => runHardhat(["flai:deploy", "--network", "localnode", "--json"], { cwd: project, env });
  const lockFile = () => deployLockPath(path.join(project, "ignition"), HARDHAT_NODE_CHAIN);

  it("two processes at once: one deploys, the other waits and finds that deployment; both succeed, no lock is left", async () => {
    const [a, b] = await Promise.all([deploy(), deploy()]);
    expect(a.code, a.stderr).to.equal(0);
    expect(b.code, b.stderr).to.equal(0);
    const [first, second] = [JSON.parse(a.stdout), JSON.parse(b.stdout)];
    expect([first.deployedNow, second.deployedNow].sort()).to.deep.equal([false, true]);
    expect(second.address).to.equal(first.address);
    expect(second.federated).to.equal(first.federated);
    expect(existsSync(lockFile())).to.equal(false);
  });

  it("a lock left by a dead process (SIGKILL mid-deploy) is taken over", async () => {
    await writeFile(lockFile(), JSON.stringify({ pid: DEAD_PID, network: "localnode", since: "2026-01-01T00:00:00.000Z" }));
    const run = await deploy();
    expect(run.code, run.stderr).to.equal(0);
    expect(JSON.parse(run.stdout).deployedNow).to.equal(false);
    expect(existsSync(lockFile())).to.equal(false);
  });

  it("flai:deploy beside a script's hre.flai.jobs.deploy() on a fresh chain: one deployment, both see it", async () => {
    const port = await freePort();
    const fresh = await pluginProject("flai-deploy-script", `networks: { localnode: { type: "http", url: "http://127.0.0.1:${port}" } }`);
    made.push(fresh.project);
    const freshNode = await startNode(fresh.project, port);
    try {
      await writeFile(
        path.join(fresh.project, "deploy.ts"),
        `import hre from "hardhat";\nconst d = await hre.flai.jobs.deploy();\nconsole.log("DEPLOYED " + JSON.stringify({ address: d.address, deployedNow: d.deployedNow }));\n`,
      );
      const [task, script] = await Promise.all([
        runHardhat(["flai:deploy", "--network", "localnode", "--json"], { cwd: fresh.project, env: fresh.env }),
        runHardhat(["run", "--no-compile", "deploy.ts", "--network", "localnode"], { cwd: fresh.project, env: fresh.env }),
      ]);
      expect(task.code, task.stderr).to.equal(0);
      expect(script.code, script.stderr).to.equal(0);
      const fromTask = JSON.parse(task.stdout);
      const fromScript = JSON.parse(/DEPLOYED (.*)/.exec(script.stdout)![1]!);
      expect(fromScript.address).to.equal(fromTask.address);
      expect([fromTask.deployedNow, fromScript.deployedNow].sort()).to.deep.equal([false, true]);
      expect(existsSync(deployLockPath(path.join(fresh.project, "ignition"), HARDHAT_NODE_CHAIN))).to.equal(false);
    } finally {
      await freshNode.stop();
    }
  });

  it("Ctrl-C during flai:deploy removes its lock, so the next one does not wait", async () => {
    const port = await freePort();
    const fresh = await pluginProject("flai-deploy-sigint", `networks: { localnode: { type: "http", url: "http://127.0.0.1:${port}" } }`);
    made.push(fresh.project);
    const freshNode = await startNode(fresh.project, port);
    const lock = deployLockPath(path.join(fresh.project, "ignition"), HARDHAT_NODE_CHAIN);
    try {
      const run = startHardhat(["flai:deploy", "--network", "localnode"], { cwd: fresh.project, env: fresh.env });
      let gone = false;
      void run.exited.then(() => (gone = true));
      // The lock holds its owner's pid: the deploy is under way (create, register, write are one synchronous step).
      const written = () => existsSync(lock) && readFileSync(lock, "utf8").includes('"pid"');
      while (!written() && !gone) await new Promise((resolve) => setTimeout(resolve, 5));
      expect(gone, run.output()).to.equal(false);
      await run.stop("SIGINT");
      expect(existsSync(lock)).to.equal(false);
      const again = await runHardhat(["flai:deploy", "--network", "localnode"], { cwd: fresh.project, env: fresh.env });
      expect(again.code, again.stderr).to.equal(0);
      expect(again.stdout).to.not.contain("Waiting for another flai:deploy");
    } finally {
      await freshNode.stop();
    }
  });

  it("a lock held by another live process: waits, then names the pid, the network and the fix (no stack trace)", async () => {
    const root = await tempDir("flai-deploy-lock-");
    made.push(root);
    await mkdir(path.join(root, "deployments"));
    // Our parent process is alive and is not us: it stands for another flai:deploy.
    const holder = { pid: process.ppid, network: "sepolia", since: "2026-01-01T00:00:00.000Z" };
    await writeFile(deployLockPath(root, 5n), JSON.stringify(holder));
    const waited: number[] = [];
    await expectFlaiError(
      () => acquireDeployLock(root, 5n, "sepolia", { waitMs: 300, pollMs: 50, onWait: (h) => waited.push(h.pid) }),
      `Another flai:deploy (pid ${process.ppid}) has been deploying to network "sepolia" (chain 5) since ${holder.since}`,
      "wait for it to finish",
      `remove ${deployLockPath(root, 5n)}`,
    );
    expect(waited).to.deep.equal([process.ppid]);
    // Another chain has its own lock.
    await (
      await acquireDeployLock(root, 6n, "other", { waitMs: 0 })
    )();
    expect(await readdir(path.join(root, "deployments"))).to.deep.equal([path.basename(deployLockPath(root, 5n))]);
  });

  it("this process taking its own lock again nests (flai:deploy, then its deployment lookup): the file goes with the last release", async () => {
    const root = await tempDir("flai-deploy-lock-");
    made.push(root);
    const outer = await acquireDeployLock(root, 5n, "sepolia", { waitMs: 0 });
    const inner = await acquireDeployLock(root, 5n, "sepolia", { waitMs: 0 });
    await inner();
    expect(existsSync(deployLockPath(root, 5n))).to.equal(true);
    await outer();
    expect(existsSync(deployLockPath(root, 5n))).to.equal(false);
  });

  it("an empty or garbled lock file (its writer died before writing it) is taken over", async () => {
    const root = await tempDir("flai-deploy-lock-");
    made.push(root);
    await mkdir(path.join(root, "deployments"));
    for (const text of ["", "{not json", JSON.stringify({ pid: -1 })]) {
      await writeFile(deployLockPath(root, 7n), text);
      await (
        await acquireDeployLock(root, 7n, "x", { waitMs: 0 })
      )();
    }
    expect(existsSync(deployLockPath(root, 7n))).to.equal(false);
  });
});
