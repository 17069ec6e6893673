import { existsSync } from "node:fs";
import { mkdir, readdir, writeFile } from "node:fs/promises";
import path from "node:path";

import { expect } from "chai";

import { acquireDeployLock, deployLockPath } from "../src/jobs/deploy-lock.js";

import { expectFlaiError } from "./helpers/assert.js";
import { pluginProject, runHardhat } from "./helpers/cli.js";
import { freePort } from "./helpers/net.js";
import { killAll, startNode, type Running } from "./helpers/processes.js";
import { tempDir } from "./helpers/project.js";

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
    ({ project, env } = await pluginProject("flai-deploy-race", `networks: { localnode: { type: "http", url: "http://127.0.0.1:${port}" } }`));
    node = await startNode(project, port);
  });
  after(async () => {
    await node?.stop();
    await killAll();
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

  it("a lock held by a live process: waits, then names the pid, the network and the fix (no stack trace)", async () => {
    const root = await tempDir("flai-deploy-lock-");
    const release = await acquireDeployLock(root, 5n, "sepolia");
    const waited: number[] = [];
    await expectFlaiError(
      () => acquireDeployLock(root, 5n, "sepolia", { waitMs: 300, pollMs: 50, onWait: (holder) => waited.push(holder.pid) }),
      `Another flai:deploy (pid ${process.pid}) has been deploying to network "sepolia" (chain 5)`,
      "wait for it to finish",
      `remove ${deployLockPath(root, 5n)}`,
    );
    expect(waited).to.deep.equal([process.pid]);
    // Another chain has its own lock; after the release the same chain's is free again.
    await (await acquireDeployLock(root, 6n, "other"))();
    await release();
    await (await acquireDeployLock(root, 5n, "sepolia", { waitMs: 0 }))();
    expect(await readdir(path.join(root, "deployments"))).to.deep.equal([]);
  });

  it("an empty or garbled lock file (its writer died before writing it) is taken over", async () => {
    const root = await tempDir("flai-deploy-lock-");
    await mkdir(path.join(root, "deployments"));
    for (const text of ["", "{not json", JSON.stringify({ pid: -1 })]) {
      await writeFile(deployLockPath(root, 7n), text);
      await (await acquireDeployLock(root, 7n, "x", { waitMs: 0 }))();
    }
    expect(existsSync(deployLockPath(root, 7n))).to.equal(false);
  });
});
