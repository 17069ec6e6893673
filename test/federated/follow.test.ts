import { existsSync } from "node:fs";
import { readFile, rm, symlink, writeFile } from "node:fs/promises";
import path from "node:path";
import { pathToFileURL } from "node:url";

import { expect } from "chai";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/types";
import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import type { FlaiConnection } from "../../src/chain/connection.js";
import { closeAction, type CloseState } from "../../src/federated/follow-aggregator.js";
import { describeFollowEvent, type FollowEvent } from "../../src/federated/follow-events.js";
import { isTransientFault, withBackoff } from "../../src/federated/follow-loop.js";
import { PendingUpdates } from "../../src/federated/follow-pending.js";
import { datasetJson } from "../../src/federated/simulation.js";
import { parseDataset, type Dataset } from "../../src/ml/dataset.js";
import { packageRoot } from "../../src/package-root.js";
import type { StorageBackend, UploadResult } from "../../src/storage/types.js";

import { expectFlaiError } from "../helpers/assert.js";
import { federatedFixture, readersOf } from "../helpers/federated.js";
import { runHardhat } from "../helpers/cli.js";
import { freePort } from "../helpers/net.js";
import { killAll, startNode } from "../helpers/processes.js";
import { FIXTURES, tempDir } from "../helpers/project.js";

const POLL = 0.2;

/**
 * Issue 12, rounds that run themselves: client followers and the enclave host's follower driven as
 * API calls against the in-process chain (several accounts, rounds finalized, rewards claimed, exit
 * when the task ends, a restart between upload and record, a client that never shows up, a client
 * that comes late), and once as separate `hardhat` processes printing JSON lines.
 */
describe("fedavg: followers (flai:fl-client --follow, flai:aggregate --follow)", function () {
  this.timeout(600_000);
  let hre: HardhatRuntimeEnvironment;
  let root: string;
  let connection: FlaiConnection;
  let signers: HardhatEthersSigner[];
  let shares: Dataset[];
  let evaluation: string;
  const projects: string[] = [];

  before(async () => {
    ({ hre, root, connection, signers, shares, evaluation } = await federatedFixture({ holdout: 5, split: 6 }));
    projects.push(root);
  });

  after(async () => {
    await killAll();
    for (const dir of projects) await rm(dir, { recursive: true, force: true });
  });

  async function newTask(opts: { rounds: number; quorum: number; maxClients: number }) {
    const created = await hre.flai.fedavg.createTask({
      model: path.join(FIXTURES, "model.json"),
      evaluation,
      standardizeOn: shares[0]!,
      reward: "1",
      // Private (the default): the clients the tests run (signers 1..4) are admitted at creation.
      clients: await readersOf(hre, connection, signers.slice(1, 5)),
      connection,
      ...opts,
    });
    return created.task.id;
  }

  /** Events a follower reported, in order. */
  function recorder() {
    const events: FollowEvent[] = [];
    return { events, onEvent: (e: FollowEvent) => void events.push(e), kinds: () => events.map((e) => e.event) };
  }

  /**
   * The next storage upload completes (stored, paid on 0G) and then the process "dies" before doing
   * anything with it; later uploads go through. Returns the undo, with every upload's result.
   */
  function crashAfterNextUpload(): (() => void) & { uploads: UploadResult[] } {
    const storage = hre.flai.storage as StorageBackend & { upload: StorageBackend["upload"] };
    const realUpload = storage.upload.bind(storage);
    const uploads: UploadResult[] = [];
    let crashNext = true;
    storage.upload = async (input, opts) => {
      const stored = await realUpload(input, opts);
      uploads.push(stored);
      if (crashNext) {
        crashNext = false;
        throw new Error("simulated crash after the upload");
      }
      return stored;
    };
    return Object.assign(() => void delete (storage as { upload?: unknown }).upload, { uploads });
  }

  const client = (taskId: bigint, i: number, extra: { onEvent?: (e: FollowEvent) => void; signal?: AbortSignal } = {}) =>
    hre.flai.fedavg.followClient({
      taskId,
      data: shares[i % shares.length]!,
      signer: signers[1 + i]!,
      connection,
      pollSeconds: POLL,
      ...extra,
    });
  const aggregator = (taskId: bigint, extra: { closeAfterSeconds?: number; onEvent?: (e: FollowEvent) => void } = {}) =>
    hre.flai.fedavg.followAggregator({ taskId, connection, pollSeconds: POLL, ...extra });

  it("a private task's client not admitted yet waits (saying so once), then joins once the creator admits it", async () => {
    // Signers 1..4 are admitted at creation; signer 6 (client index 5) is not.
    const taskId = await newTask({ rounds: 1, quorum: 4, maxClients: 5 });
    const late = recorder();
    const stop = new AbortController();
    const following = client(taskId, 5, { onEvent: late.onEvent, signal: stop.signal });
    while (!late.kinds().includes("waiting-for-admission")) await new Promise((r) => setTimeout(r, 50));
    await new Promise((r) => setTimeout(r, 4 * POLL * 1000)); // several looks: still one line
    expect(late.kinds().filter((k) => k === "waiting-for-admission")).to.have.length(1);
    const waiting = late.events.find((e) => e.event === "waiting-for-admission")!;
    expect(describeFollowEvent(waiting)).to.contain(`flai:fl-admit --task ${taskId} --clients ${signers[6]!.address}`);
    expect((await hre.flai.fedavg.update(taskId, 1, signers[6]!.address, { connection })).numExamples).to.equal(0);

    await hre.flai.fedavg.admit({ taskId, clients: [signers[6]!.address], connection });
    while (!late.kinds().includes("update-recorded")) await new Promise((r) => setTimeout(r, 50));
    stop.abort();
    expect((await following).joined).to.deep.equal([1]);
  });

  it("clients on distinct accounts and the enclave host follow a task to its end: every round finalized, every reward claimed, all exit", async () => {
    const taskId = await newTask({ rounds: 2, quorum: 3, maxClients: 4 });
    const host = recorder();
    const clients = [0, 1, 2, 3].map(() => recorder());
    const [hosted, ...followed] = await Promise.all([aggregator(taskId, host), ...clients.map((r, i) => client(taskId, i, r))]);

    expect(hosted).to.deep.include({ status: "finished", finalized: [1, 2] });
    // Four clients reach maxClients: the contract closes each round by itself.
    const closes = host.events.filter((e) => e.event === "round-closed");
    expect(closes.map((e) => [e.round, e.updateCount, e.by])).to.deep.equal([
      [1, 4, "max-clients"],
      [2, 4, "max-clients"],
    ]);
    expect(host.kinds().filter((k) => k === "update-recorded")).to.have.length(8);
    expect(host.kinds().at(-1)).to.equal("task-finished");

    const { task } = await hre.flai.fedavg.status(taskId, { connection });
    for (const [i, r] of followed.entries()) {
      expect(r).to.deep.include({ status: "finished", joined: [1, 2], skipped: [] });
      expect(r.claimed.map((c) => c.round)).to.deep.equal([1, 2]);
      for (const round of [1, 2]) {
        expect(await hre.flai.fedavg.update(taskId, round, signers[1 + i]!.address, { connection })).to.deep.equal({
          numExamples: shares[i]!.rows,
          claimed: true,
        });
      }
      expect(clients[i]!.kinds()).to.include.members(["round-opened", "update-recorded", "reward-claimed", "task-finished"]);
    }
    // Equal shares of each round's pool, all paid out.
    expect(task.status).to.equal("finished");
    expect(task.paidOut).to.equal(task.rewardPool);
    const paid = followed.flatMap((r) => r.claimed).reduce((s, c) => s + c.amount, 0n);
    expect(paid).to.equal(task.rewardPool);
  });

  it("a client that never shows up: the host closes the round --close-after seconds after the quorum, and the task goes on", async () => {
    const taskId = await newTask({ rounds: 2, quorum: 3, maxClients: 4 });
    const host = recorder();
    const [hosted, ...followed] = await Promise.all([
      aggregator(taskId, { ...host, closeAfterSeconds: 1 }),
      client(taskId, 0),
      client(taskId, 1),
      client(taskId, 2),
    ]);
    expect(hosted).to.deep.include({ status: "finished", finalized: [1, 2] });
    const closes = host.events.filter((e) => e.event === "round-closed");
    expect(closes.map((e) => [e.round, e.updateCount, e.by])).to.deep.equal([
      [1, 3, "enclave"],
      [2, 3, "enclave"],
    ]);
    for (const r of followed) expect(r.claimed.map((c) => c.round)).to.deep.equal([1, 2]);
    const rounds = (await hre.flai.fedavg.status(taskId, { connection })).rounds;
    expect(rounds.map((r) => [r.finalized, r.updateCount])).to.deep.equal([
      [true, 3],
      [true, 3],
    ]);
  });

  it("a client that comes after its round closed skips it, joins the next, and claims only what it is owed; earlier one-round clients' rewards are claimed too", async () => {
    const taskId = await newTask({ rounds: 2, quorum: 3, maxClients: 4 });
    for (const i of [0, 1, 2]) await hre.flai.fedavg.runClient({ taskId, data: shares[i]!, signer: signers[1 + i], connection });
    await hre.flai.fedavg.closeRound(taskId, { connection });

    // The late client looks first (round 1 closed, not finalized), then everyone else starts.
    const late = recorder();
    let sawSkip!: () => void;
    const skipped = new Promise<void>((resolve) => (sawSkip = resolve));
    const lateRun = client(taskId, 3, { onEvent: (e) => (late.onEvent(e), e.event === "round-skipped" && sawSkip()) });
    await Promise.race([skipped, lateRun.then(() => expect.fail("the late client ended before skipping round 1"))]);
    const [lateResult, , ...early] = await Promise.all([
      lateRun,
      aggregator(taskId),
      client(taskId, 0),
      client(taskId, 1),
      client(taskId, 2),
    ]);
    expect(lateResult).to.deep.include({ status: "finished", skipped: [1], joined: [2] });
    expect(lateResult.claimed.map((c) => c.round)).to.deep.equal([2]);
    expect(late.events.find((e) => e.event === "round-skipped")).to.deep.include({ round: 1, reason: "closed-before-joined" });
    for (const r of early) {
      expect(r.joined).to.deep.equal([2]);
      expect(r.claimed.map((c) => c.round)).to.deep.equal([1, 2]);
    }
  });

  it("restart between upload and record: the restarted client reuses its upload (stored once) and records it", async () => {
    const taskId = await newTask({ rounds: 1, quorum: 3, maxClients: 3 });
    for (const i of [0, 1]) await hre.flai.fedavg.runClient({ taskId, data: shares[i]!, signer: signers[1 + i], connection });

    const restore = crashAfterNextUpload();
    const uploads = restore.uploads;
    try {
      const first = recorder();
      let crash: unknown;
      await client(taskId, 2, first).catch((error: unknown) => (crash = error));
      expect((crash as Error | undefined)?.message).to.equal("simulated crash after the upload");
      expect(await hre.flai.fedavg.update(taskId, 1, signers[3]!.address, { connection })).to.deep.equal({
        numExamples: 0,
        claimed: false,
      });
      const task = await hre.flai.fedavg.task(taskId, { connection });
      const key = { chainId: task.chainId, contract: task.contract, taskId, round: 1, client: signers[3]!.address };
      const kept = new PendingUpdates(path.join(root, ".flai", "follow")).fileOf(key);
      expect(existsSync(kept), "the sealed update is kept until recorded").to.equal(true);

      const again = recorder();
      const [resumed] = await Promise.all([client(taskId, 2, again), aggregator(taskId)]);
      expect(resumed).to.deep.include({ status: "finished", joined: [1] });
      expect(resumed.claimed.map((c) => c.round)).to.deep.equal([1]);
      const recorded = again.events.find((e) => e.event === "update-recorded") as Extract<FollowEvent, { event: "update-recorded" }>;
      expect(recorded.reusedUpload).to.equal(true);
      // The root recorded is the one uploaded before the crash, and only that upload stored new bytes.
      expect(recorded.updateRoot).to.equal(uploads[0]!.root);
      expect(uploads.filter((u) => u.root === recorded.updateRoot).map((u) => u.alreadyStored)).to.deep.equal([false, true]);
      expect(existsSync(kept), "the kept update is gone once recorded").to.equal(false);
      expect(existsSync(path.dirname(kept)), "and the task's folder once it is finished").to.equal(false);
    } finally {
      restore();
    }
  });

  it("restart mid-aggregation: the restarted host recomputes the same model, reuses its upload and finalizes once", async () => {
    const taskId = await newTask({ rounds: 1, quorum: 3, maxClients: 3 });
    for (const i of [0, 1, 2]) await hre.flai.fedavg.runClient({ taskId, data: shares[i]!, signer: signers[1 + i], connection });
    const restore = crashAfterNextUpload();
    try {
      let crash: unknown;
      await aggregator(taskId).catch((error: unknown) => (crash = error));
      expect((crash as Error | undefined)?.message).to.equal("simulated crash after the upload");
      expect((await hre.flai.fedavg.round(taskId, 1, { connection })).finalized).to.equal(false);

      const host = recorder();
      expect(await aggregator(taskId, host)).to.deep.include({ status: "finished", finalized: [1] });
      const finalized = host.events.filter((e) => e.event === "round-finalized") as Array<
        Extract<FollowEvent, { event: "round-finalized" }>
      >;
      expect(finalized).to.have.length(1);
      // The global model uploaded before the crash is the one finalized, stored once.
      expect(restore.uploads[0]!.root).to.equal(finalized[0]!.globalRoot);
      expect(restore.uploads.filter((u) => u.root === finalized[0]!.globalRoot).map((u) => u.alreadyStored)).to.deep.equal([false, true]);
      const finalizedLogs = (await hre.flai.fedavg.status(taskId, { connection })).rounds.filter((r) => r.finalized);
      expect(finalizedLogs).to.have.length(1);
    } finally {
      restore();
    }
  });

  it("bad follower options are refused by name: --poll or --close-after without --follow, --poll 0, --round with --follow", async () => {
    const { pollSeconds, refuseWithoutFollow } = await import("../../src/cli/follow-args.js");
    await expectFlaiError(
      () => pollSeconds({ follow: false, poll: "2" }, "flai:fl-client"),
      "--poll applies only to a follower",
      "--follow",
    );
    await expectFlaiError(() => pollSeconds({ follow: true, poll: "0" }, "flai:fl-client"), "--poll must be a number > 0");
    await expectFlaiError(() => refuseWithoutFollow("5", "--close-after", "flai:aggregate"), "--close-after applies only to a follower");
    expect(pollSeconds({ follow: true, poll: "0.5" }, "flai:fl-client")).to.equal(0.5);
    expect(pollSeconds({ follow: true }, "flai:fl-client")).to.equal(undefined);
    await expectFlaiError(
      () => hre.tasks.getTask("flai:aggregate").run({ task: "1", round: "1", follow: true }),
      "--round 1 does not go with --follow",
    );
  });

  it("the close rule: frozen rounds aggregate or fail, open rounds close after the grace since the quorum or before the deadline", () => {
    const base: CloseState = {
      quorum: 3,
      updateCount: 3,
      closed: false,
      deadline: 1000,
      now: 100,
      sinceQuorum: 10,
      closeAfter: 60,
      margin: 15,
    };
    expect(closeAction(base)).to.equal("wait");
    expect(closeAction({ ...base, sinceQuorum: 60 })).to.equal("close");
    expect(closeAction({ ...base, closeAfter: 100_000, now: 985 })).to.equal("close");
    expect(closeAction({ ...base, closeAfter: 100_000, now: 984 })).to.equal("wait");
    expect(closeAction({ ...base, updateCount: 2, sinceQuorum: undefined, now: 999 })).to.equal("wait");
    expect(closeAction({ ...base, closed: true })).to.equal("aggregate");
    expect(closeAction({ ...base, closed: true, updateCount: 2 })).to.equal("failed");
  });

  it("transient faults are retried with backoff, each retry reported, and given up after the bound; other errors are thrown at once", async () => {
    const reset = Object.assign(new Error("read ECONNRESET"), { code: "ECONNRESET" });
    const retries: number[] = [];
    let calls = 0;
    const flaky = () => (++calls < 3 ? Promise.reject(reset) : Promise.resolve("ok"));
    expect(
      await withBackoff(
        () => "reading",
        flaky,
        { retries: 3, baseMs: 1 },
        (r) => retries.push(r.attempt),
      ),
    ).to.equal("ok");
    expect(retries).to.deep.equal([1, 2]);

    const gaveUp = await withBackoff(
      () => "reading task 1",
      () => Promise.reject(reset),
      { retries: 2, baseMs: 1 },
      () => {},
    ).catch((e: Error) => e);
    expect(gaveUp.message).to.contain("Gave up reading task 1 after 3 attempts").and.contain("ECONNRESET");

    const revert = Object.assign(new Error("execution reverted (data=0x5032…)"), { code: "CALL_EXCEPTION" });
    expect(isTransientFault(revert)).to.equal(false);
    expect(isTransientFault(new Error("wrapped", { cause: reset }))).to.equal(true);
    let once = 0;
    const refused = await withBackoff(
      () => "x",
      () => (once++, Promise.reject(revert)),
      { retries: 5, baseMs: 1 },
      () => {},
    ).catch((e: Error) => e);
    expect([refused, once]).to.deep.equal([revert, 1]);
  });

  it("as separate hardhat processes: --follow prints one JSON line per event (--json) or one text line, and every follower exits 0 when the task is finished", async () => {
    const project = await tempDir("flai-follow-cli-");
    projects.push(project);
    await writeFile(path.join(project, "package.json"), JSON.stringify({ name: "follow-user-project", private: true, type: "module" }));
    await symlink(path.join(packageRoot(), "node_modules"), path.join(project, "node_modules"), "dir");
    const port = await freePort();
    await writeFile(
      path.join(project, "hardhat.config.ts"),
      [
        `import { defineConfig } from "hardhat/config";`,
        `import flai from ${JSON.stringify(pathToFileURL(path.join(packageRoot(), "src", "index.ts")).href)};`,
        `export default defineConfig({ plugins: [flai], networks: { local: { type: "http", url: "http://127.0.0.1:${port}" } } });`,
        ``,
      ].join("\n"),
    );
    for (const [i, share] of shares.slice(0, 3).entries()) await writeFile(path.join(project, `client-${i}.json`), datasetJson(share));
    await writeFile(
      path.join(project, "evaluation.json"),
      datasetJson(parseDataset(await readFile(path.join(FIXTURES, "data.json")), "data.json")),
    );
    const node = await startNode(project, port);
    const hardhat = (args: string[]) => runHardhat([...args, "--network", "local"], { cwd: project });
    const deployed = await hardhat(["flai:deploy"]);
    expect(deployed.code, deployed.stdout + deployed.stderr).to.equal(0);

    // The clients register their reader keys (each prints its address); the creator admits those addresses.
    const readers: string[] = [];
    for (const account of ["1", "2", "3"]) {
      const registered = await hardhat(["flai:reader-key", "--register", "--account", account, "--json"]);
      expect(registered.code, registered.stdout + registered.stderr).to.equal(0);
      readers.push((JSON.parse(registered.stdout) as { account: string }).account);
    }
    const created = await hardhat([
      "flai:fl-create",
      ...["--model", path.join(FIXTURES, "model.json"), "--test", "evaluation.json", "--standardize-on", "client-0.json"],
      ...["--rounds", "2", "--quorum", "3", "--max-clients", "3", "--reward", "0.03", "--json"],
      ...["--clients", readers.join(",")],
    ]);
    expect(created.code, created.stdout + created.stderr).to.equal(0);
    const taskId = String((JSON.parse(created.stdout) as { task: { id: string } }).task.id);

    const follow = ["--task", taskId, "--follow", "--poll", "0.5"];
    const [host, text, ...json] = await Promise.all([
      hardhat(["flai:aggregate", ...follow, "--json"]),
      hardhat(["flai:fl-client", ...follow, "--data", "client-0.json", "--account", "1"]),
      hardhat(["flai:fl-client", ...follow, "--data", "client-1.json", "--account", "2", "--json"]),
      hardhat(["flai:fl-client", ...follow, "--data", "client-2.json", "--account", "3", "--json"]),
    ]);
    await node.stop();
    for (const run of [host, text, ...json]) expect(run.code, run.stdout + run.stderr).to.equal(0);

    const linesOf = (stdout: string) =>
      stdout
        .trimEnd()
        .split("\n")
        .map((line) => JSON.parse(line) as { event: string; round?: number });
    const hostEvents = linesOf(host.stdout);
    expect(hostEvents.map((e) => e.event)).to.deep.equal([
      "round-opened",
      "update-recorded",
      "update-recorded",
      "update-recorded",
      "round-closed",
      "round-finalized",
      "round-opened",
      "update-recorded",
      "update-recorded",
      "update-recorded",
      "round-closed",
      "round-finalized",
      "task-finished",
    ]);
    for (const run of json) {
      const events = linesOf(run.stdout);
      expect(events.filter((e) => e.event === "update-recorded").map((e) => e.round)).to.deep.equal([1, 2]);
      expect(events.filter((e) => e.event === "reward-claimed").map((e) => e.round)).to.deep.equal([1, 2]);
      expect(events.at(-1)!.event).to.equal("task-finished");
    }
    const textLines = text.stdout.trimEnd().split("\n");
    expect(textLines.filter((l) => l.startsWith("Update recorded for round"))).to.have.length(2);
    expect(textLines.filter((l) => / claimed .* for round \d of task /.test(l))).to.have.length(2);
    expect(textLines.at(-1)).to.equal(`Task ${taskId} finished: every round is finalized`);
  });
});
