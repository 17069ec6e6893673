import { readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";

import { expect } from "chai";
import { getAddress, Interface } from "ethers";

import { holdoutSplit, partitionDataset } from "../../src/federated/partition.js";
import { loadFlaiArtifact } from "../../src/chain/artifact.js";
import { parseDataset } from "../../src/ml/dataset.js";

import { ChainWatch, FLOW_ABI } from "../helpers/chain-watch.js";
import { freePort } from "../helpers/net.js";
import { datasetJson, devAccount, jsonLines, newParty, type Party } from "../helpers/parties.js";
import { killAll, portIsFree, startNode, type Running } from "../helpers/processes.js";
import { startRpcTap, type RpcTap } from "../helpers/rpc-tap.js";
import { FIXTURES, tempDir } from "../helpers/project.js";

/**
 * Issue 12's proof: a federated task run the way separate machines run it. Every party is its own OS
 * process in its own project folder, with its own FLAI_MACHINE_DIR and its own key (a `hardhat node`
 * development account handed over as the config variable FLAI_PRIVATE_KEY); the only things that go
 * from one party to another are the addresses and ids one party's `--json` prints, put into another's
 * config or arguments as a user would. No file is copied between folders.
 *
 * Parties: `hardhat node` and `flai:devnet` (the chain and the 0G storage/compute stand-ins), the
 * deployer/creator, the aggregator host (its enclave, its follower), five clients of which four
 * follow the task and one never shows up, and a verifier with no key at all.
 *
 * The task: 3 rounds, quorum 4, at most 5 clients per round. With the fifth client absent, no round
 * reaches maxClients; the aggregator's enclave closes each one --close-after seconds after its quorum-th
 * update (the rule a missing client meets), and the task goes on. Quorum 4 of 4 live
 * clients also means a round cannot close without the client that is killed and restarted in it:
 * its rejoining is what lets the task go on.
 *
 * Faults, placed exactly (no race with the parties' speed): client 1 and the aggregator reach the chain
 * through a JSON-RPC tap of their own (test/helpers/rpc-tap.ts) that holds back one signed transaction,
 * and the test SIGKILLs the sender while it waits for it. Client 1 is killed in round 2 with its
 * recordUpdate held — it has paid for the upload of its sealed update, which is not recorded — and
 * restarted; the aggregator is killed in round 3 with its second 0G upload of the round's results
 * held — the round is closed and aggregated, its new global model paid for and stored, its report not,
 * nothing finalized — and restarted. Then nothing may have been paid twice: no 0G upload paid twice,
 * one update per client per round, one finalize per round, one claim per reward, and the contract
 * holds nothing at the end.
 */
describe("a federated task across machines (separate processes, folders, machine dirs and keys)", function () {
  this.timeout(900_000);

  const ROUNDS = 3;
  const CLIENTS = 5; // the fifth never shows up
  const QUORUM = 4;
  const REWARD = "0.9";
  // Long enough that no deadline passes in this test: rounds close by the enclave at the quorum.
  const ROUND_DURATION = 3600;
  // Seconds the aggregator waits for more clients once the quorum is recorded: the absent fifth client
  // is waited for that long each round, then the enclave closes the round without it.
  const CLOSE_AFTER = 5;

  let root: string;
  let rpcUrl: string;
  let watch: ChainWatch | undefined;
  const taps: RpcTap[] = [];
  const ports = { node: 0, indexer: 0, compute: 0 };

  // hardhat node's accounts 0 and 1 are the devnet's (it runs beside the node, on the node's accounts).
  const account = { deployer: devAccount(2), aggregator: devAccount(3), clients: [4, 5, 6, 7, 8].map(devAccount) };

  let devnetInfo: { indexerUrl: string; flowAddress: string };
  let deployer: Party;
  let aggregator: Party;
  let clients: Party[];
  let verifier: Party;

  let authority: string;
  let enclave: string;
  let addresses: { jobs: string; federated: string } | undefined;
  let taskId: bigint;
  let pool: bigint;

  /** The storage block `flai:devnet` prints, and the deployments block from another party's --json once known. */
  const flaiBlock = (deployments?: Record<string, { jobs?: string; federated?: string }>) =>
    `{ storage: { backend: "0g", indexerUrl: ${JSON.stringify(devnetInfo.indexerUrl)} }` +
    (deployments === undefined ? "" : `, deployments: ${JSON.stringify(deployments)}`) +
    " }";

  before(async () => {
    root = await tempDir("flai-across-machines-");
    [ports.node, ports.indexer, ports.compute] = [await freePort(), await freePort(), await freePort()];
    rpcUrl = `http://127.0.0.1:${ports.node}`;

    const chain = await newParty({ root, name: "chain", rpcUrl });
    await startNode(chain.dir, ports.node);
    const infra = await newParty({ root, name: "devnet", rpcUrl, account: "node" });
    const devnet = infra.start(["flai:devnet", "--port", String(ports.indexer), "--compute-port", String(ports.compute), "--json"]);
    await devnet.waitFor(/^\}\s*$/m);
    devnetInfo = JSON.parse(devnet.stdout()) as typeof devnetInfo;

    // Client 1's 2nd recordUpdate (round 2's) and the aggregator's 6th paid upload (round 3's report,
    // after rounds 1 and 2's model + report and round 3's model) are held back, for the kills.
    const recordUpdate = new Interface(loadFlaiArtifact("FLAIFederated").abi).getFunction("recordUpdate")!.selector;
    const clientTap = await startRpcTap(rpcUrl, {
      matches: (tx) => tx.to === addresses?.federated && tx.data.startsWith(recordUpdate),
      nth: 2,
    });
    const aggregatorTap = await startRpcTap(rpcUrl, { matches: (tx) => tx.to === getAddress(devnetInfo.flowAddress), nth: 2 * ROUNDS });
    taps.push(clientTap, aggregatorTap);

    deployer = await newParty({ root, name: "deployer", rpcUrl, account: account.deployer });
    aggregator = await newParty({ root, name: "aggregator", rpcUrl: aggregatorTap.url, account: account.aggregator });
    clients = await Promise.all(
      account.clients.map((a, i) => newParty({ root, name: `client-${i + 1}`, rpcUrl: i === 0 ? clientTap.url : rpcUrl, account: a })),
    );
    verifier = await newParty({ root, name: "verifier", rpcUrl });

    // Each party's own data, in its own folder: the creator's held-out set, and a non-IID (Dirichlet
    // α = 0.5) split of the rest, one part per client.
    const all = parseDataset(await readFile(path.join(FIXTURES, "data.json")), "fixtures/data.json");
    const { train, test } = holdoutSplit(all, 0.2, 1);
    await writeFile(path.join(deployer.dir, "holdout.json"), datasetJson(test));
    const parts = partitionDataset(train, CLIENTS, { scheme: "dirichlet", alpha: 0.5, seed: 1 });
    await Promise.all(clients.map((c, i) => writeFile(path.join(c.dir, "data.json"), datasetJson(parts[i]!))));
  });

  after(async () => {
    watch?.destroy();
    await killAll();
    for (const tap of taps) await tap.close();
    for (const port of Object.values(ports)) {
      if (port !== 0) expect(await portIsFree(port), `port ${port} after the test`).to.equal(true);
    }
    if (root !== undefined) await rm(root, { recursive: true, force: true });
  });

  it("sets up from each other's --json only: the aggregator's authority pinned at deploy, its enclave registered, the task naming it", async () => {
    // The aggregator host states its enclave and its (dev) attestation authority.
    const stated = await aggregator.json<{ report: { signer: string; authority: string; measurement: string } }>(["flai:enclave"]);
    authority = stated.report.authority;
    enclave = stated.report.signer;

    // The deployer pins that authority, so the registry accepts reports from the aggregator's machine.
    await deployer.configure(flaiBlock());
    const deployed = await deployer.json<{ address: string; federated: string }>(["flai:deploy", "--attestation-authority", authority]);
    addresses = { jobs: getAddress(deployed.address), federated: getAddress(deployed.federated) };

    // The aggregator registers its enclave on the deployment it was told about.
    await aggregator.configure(flaiBlock({ localnode: addresses }));
    const registered = await aggregator.json<{ registration: { signer: string; authority: string } }>(["flai:enclave", "--register"]);
    expect(registered.registration.signer).to.equal(enclave);
    expect(registered.registration.authority).to.equal(authority);

    // The task is private (the default): each live client registers its reader key on the deployment and
    // prints its address; the creator admits those addresses at creation. The fifth client never shows up.
    for (const c of clients.slice(0, CLIENTS - 1)) await c.configure(flaiBlock({ localnode: addresses }));
    const readers = await Promise.all(
      clients.slice(0, CLIENTS - 1).map((c) => c.json<{ account: string; registered: boolean }>(["flai:reader-key", "--register"])),
    );
    expect(readers.map((r) => r.registered)).to.deep.equal([true, true, true, true]);
    expect(readers.map((r) => r.account)).to.deep.equal(account.clients.slice(0, CLIENTS - 1).map((a) => a.address));

    // The creator names that enclave (another machine's) for its task.
    type Created = {
      taskId: string;
      deployments: Record<string, { jobs: string; federated: string }>;
      task: { enclave: string; rewardPool: string };
    };
    const created = await deployer.json<Created>([
      "flai:fl-create",
      ...["--enclave", enclave, "--model", path.join(FIXTURES, "model.json"), "--test", "holdout.json"],
      // The shared feature scaling is fit on a training sample (client 1's share), never on the test file.
      ...["--standardize-on", path.join(clients[0]!.dir, "data.json")],
      ...["--rounds", String(ROUNDS), "--quorum", String(QUORUM), "--max-clients", String(CLIENTS)],
      ...["--round-duration", String(ROUND_DURATION), "--reward", REWARD],
      ...["--clients", readers.map((r) => r.account).join(",")],
    ]);
    taskId = BigInt(created.taskId);
    pool = BigInt(created.task.rewardPool);
    expect(getAddress(created.task.enclave)).to.equal(enclave);
    expect((created as Created & { private: boolean }).private).to.equal(true);

    expect(created.deployments).to.deep.equal({ localnode: addresses });
    // What the creator publishes (its fl-create --json) is all the clients and the verifier are told.
    for (const party of [...clients, verifier]) await party.configure(flaiBlock(created.deployments));
    watch = new ChainWatch(rpcUrl, addresses.federated, devnetInfo.flowAddress);
  });

  let followers: { aggregator: Running[]; clients: Running[][] };

  it("runs 3 rounds with an aggregator follower and 4 client followers; a client and the aggregator are SIGKILLed mid-round and restarted", async () => {
    expect(taskId, "the task was created").to.be.a("bigint");
    const w = watch!;
    // Followers look at the chain every second (5 s unless told), and the aggregator waits 5 s for more
    // clients once the quorum is recorded (60 s unless told) before the enclave closes the round.
    const clientFollower = (c: Party) =>
      c.start(["flai:fl-client", "--task", String(taskId), "--data", "data.json", "--follow", "--poll", "1", "--json"]);
    const aggregatorFollower = () =>
      aggregator.start([
        "flai:aggregate",
        "--task",
        String(taskId),
        "--follow",
        "--poll",
        "1",
        "--close-after",
        String(CLOSE_AFTER),
        "--json",
      ]);
    followers = { aggregator: [aggregatorFollower()], clients: clients.slice(0, CLIENTS - 1).map((c) => [clientFollower(c)]) };

    // Client 1, round 2: killed while its recordUpdate is held, after it paid for its upload.
    const [clientTap, aggregatorTap] = taps as [RpcTap, RpcTap];
    const victim = account.clients[0]!.address;
    const heldUpdate = await clientTap.held;
    followers.clients[0]![0]!.child.kill("SIGKILL");
    await followers.clients[0]![0]!.exited;
    expect(heldUpdate.tx.from).to.equal(victim);
    const round2 = (await w.roundsOpened(taskId)).get(2);
    expect(round2, "round 2 is open").to.be.a("number");
    expect(
      (await w.roundsFinalized(taskId)).map((f) => f.round),
      "when client 1 was killed",
    ).to.deep.equal([1]);
    const paidBeforeRecord = (await w.paidUploads()).filter((u) => u.sender === victim && u.blockNumber >= round2!);
    expect(paidBeforeRecord, "client 1 had paid for its round-2 upload").to.have.length(1);
    expect(
      (await w.updates(taskId)).filter((u) => u.client === victim).map((u) => u.round),
      "and recorded only round 1",
    ).to.deep.equal([1]);
    followers.clients[0]!.push(clientFollower(clients[0]!));

    // The aggregator, round 3: killed while its upload of the round's report is held.
    const heldReport = await aggregatorTap.held;
    followers.aggregator[0]!.child.kill("SIGKILL");
    await followers.aggregator[0]!.exited;
    expect(heldReport.tx.from).to.equal(account.aggregator.address);
    expect(
      (await w.roundsClosed(taskId)).map((c) => c.round),
      "round 3 closed when the aggregator was killed",
    ).to.deep.equal([1, 2, 3]);
    expect(
      (await w.roundsFinalized(taskId)).map((f) => f.round),
      "and not finalized",
    ).to.deep.equal([1, 2]);
    followers.aggregator.push(aggregatorFollower());

    // Every follower still running ends by itself, exit 0, once the task is finished.
    const running = [followers.aggregator.at(-1)!, ...followers.clients.map((runs) => runs.at(-1)!)];
    const codes = await Promise.all(running.map((r) => r.exited));
    running.forEach((r, i) => expect(codes[i], r.output()).to.equal(0));
    expect(await w.finished(taskId)).to.equal(true);
    // The restarted client says it recorded round 2 with the bytes it had paid for before the kill.
    const rejoined = jsonLines(followers.clients[0]![1]!).filter((e) => e.event === "update-recorded" && e.round === 2);
    expect(
      rejoined.map((e) => e.reusedUpload),
      followers.clients[0]![1]!.output(),
    ).to.deep.equal([true]);
    // Round 3 was finalized by the restarted aggregator, once.
    const finals = followers.aggregator.flatMap((r) => jsonLines(r)).filter((e) => e.event === "round-finalized" && e.round === 3);
    expect(finals, followers.aggregator[1]!.output()).to.have.length(1);
  });

  it("finalized every round once, paid every reward once, paid no 0G upload twice; the absent client sent nothing", async () => {
    expect(followers, "the rounds ran").to.not.equal(undefined);
    const w = watch!;
    const live = account.clients.slice(0, CLIENTS - 1).map((a) => a.address);

    const finalized = await w.roundsFinalized(taskId);
    expect(finalized.map((f) => f.round)).to.deep.equal([1, 2, 3]);
    for (const f of finalized) expect(f.enclave).to.equal(enclave);
    const closed = await w.roundsClosed(taskId);
    expect(closed.map((c) => [c.round, c.updateCount])).to.deep.equal([1, 2, 3].map((r) => [r, QUORUM]));

    // One update per live client per round (the killed client rejoined round 2), none from the fifth.
    const updates = await w.updates(taskId);
    for (let round = 1; round <= ROUNDS; round++) {
      expect(
        updates
          .filter((u) => u.round === round)
          .map((u) => u.client)
          .sort(),
        `round ${round}'s updates`,
      ).to.deep.equal([...live].sort());
    }

    // Every accepted update's reward claimed exactly once, and together they are the whole pool.
    const claims = await w.claims(taskId);
    const key = (c: { round: number; client: string }) => `${c.round}:${c.client}`;
    expect(claims.map(key).sort()).to.deep.equal(updates.map(key).sort());
    expect(claims.reduce((sum, c) => sum + c.amount, 0n)).to.equal(pool);
    expect(await w.provider.getBalance(addresses!.federated)).to.equal(0n);
    for (const client of live) {
      for (let round = 1; round <= ROUNDS; round++) {
        const [, claimed] = (await w.federated.getFunction("getUpdate")(taskId, round, client)) as [bigint, boolean];
        expect(claimed, `${client}'s reward for round ${round}`).to.equal(true);
      }
    }

    // 0G storage: every upload paid once (no identity twice), each client paid for exactly its three
    // recorded updates (the killed one reused the upload it had paid for), the aggregator for one
    // global model and one report per round (its restart reused what it had paid for), the creator for
    // the (encrypted) evaluation set and initial model and the task's keyring.
    const paid = await w.paidUploads();
    expect(new Set(paid.map((p) => p.identity)).size, "distinct uploads paid").to.equal(paid.length);
    const paidBy = (who: string) => paid.filter((p) => p.sender === who).length;
    for (const client of live) expect(paidBy(client), `uploads paid by ${client}`).to.equal(ROUNDS);
    expect(paidBy(account.aggregator.address), "uploads paid by the aggregator").to.equal(2 * ROUNDS);
    expect(paidBy(account.deployer.address), "uploads paid by the creator").to.equal(3);
    expect(paid.length).to.equal(3 + 2 * ROUNDS + ROUNDS * live.length);

    // No fee overpaid: the Flow keeps any surplus for later submissions, and holds none.
    expect(await w.provider.getBalance(devnetInfo.flowAddress), "the storage Flow's balance").to.equal(0n);

    // What each party sent, call by call: a restart re-sent nothing that had reached the chain (client
    // 1's held recordUpdate never did), and the aggregator closed and finalized each round once.
    const contracts = {
      FLAIFederated: { address: addresses!.federated, abi: new Interface(loadFlaiArtifact("FLAIFederated").abi) },
      FLAIComputeJobs: { address: addresses!.jobs, abi: new Interface(loadFlaiArtifact("FLAIComputeJobs").abi) },
      Flow: { address: devnetInfo.flowAddress, abi: FLOW_ABI },
    };
    const tally = async (who: string) => {
      const counts: Record<string, number> = {};
      for (const t of await w.transactionsFrom(who, contracts)) counts[t.call] = (counts[t.call] ?? 0) + 1;
      return counts;
    };
    for (const client of live) {
      expect(await tally(client), `transactions of ${client}`).to.deep.equal({
        "FLAIComputeJobs.setReaderKey": 1,
        "Flow.submit": ROUNDS,
        "FLAIFederated.recordUpdate": ROUNDS,
        "FLAIFederated.claim": ROUNDS,
      });
    }
    expect(await tally(account.aggregator.address), "the aggregator's transactions").to.deep.equal({
      "FLAIComputeJobs.registerEnclave": 1,
      "FLAIFederated.closeRound": ROUNDS,
      "Flow.submit": 2 * ROUNDS,
      "FLAIFederated.finalizeRound": ROUNDS,
    });
    // The client that never showed up sent no transaction at all.
    expect(await w.provider.getTransactionCount(account.clients[CLIENTS - 1]!.address)).to.equal(0);
  });

  it("verifies from a fifth folder with no key and no file of the others: every check ✔ but the encrypted ones; a reader checks the models too", async () => {
    expect(followers, "the rounds ran").to.not.equal(undefined);
    type Report = { verdict: string; items: Array<{ item: string; verdict: string; detail: string; code?: string }> };
    const report = await verifier.json<Report>(["flai:verify", "--task", String(taskId)]);
    expect(
      report.items.filter((i) => i.verdict === "mismatch"),
      JSON.stringify(report.items, null, 1),
    ).to.deep.equal([]);
    const unchecked = report.items.filter((i) => i.verdict !== "match");
    // What a third party cannot check is what is encrypted: each round's models and the score on the
    // test set (the task is private: both are sealed with the task key) and the re-run of the
    // aggregation (the updates are sealed to the enclave).
    const perRound = ["global model", "model chain", "test score", "re-execution"];
    expect(
      unchecked.map((i) => [i.item, i.code]),
      JSON.stringify(unchecked, null, 1),
    ).to.deep.equal([1, 2, 3].flatMap((r) => perRound.map((name) => [`round ${r}: ${name}`, "encrypted"])));

    // An admitted client (its own account, --account 0 in its folder) opens the models and the test set: only the re-run is left.
    const reader = await clients[1]!.json<Report>(["flai:verify", "--task", String(taskId), "--account", "0"]);
    expect(
      reader.items.filter((i) => i.verdict !== "match").map((i) => i.item),
      JSON.stringify(reader.items, null, 1),
    ).to.deep.equal([1, 2, 3].map((r) => `round ${r}: re-execution`));
    // It reads the final model too (flai:fl-model), checked against the on-chain hash.
    const model = await clients[1]!.json<{ private: boolean; round: number }>([
      "flai:fl-model",
      "--task",
      String(taskId),
      "--out",
      "final.json",
    ]);
    expect(model).to.include({ private: true, round: ROUNDS });
    // The client that never showed up was never admitted: it cannot read it.
    await clients[CLIENTS - 1]!.configure(flaiBlock({ localnode: addresses! }));
    const outsider = await clients[CLIENTS - 1]!.run(["flai:fl-model", "--task", String(taskId), "--out", "final.json"]);
    expect(outsider.code, outsider.stdout + outsider.stderr).to.not.equal(0);
    expect(outsider.stdout + outsider.stderr).to.contain(
      `flai:fl-admit --task ${taskId} --clients ${account.clients[CLIENTS - 1]!.address}`,
    );
    for (let round = 1; round <= ROUNDS; round++) {
      expect(
        report.items.some((i) => i.item.startsWith(`round ${round}:`) && i.verdict === "match"),
        `round ${round} checked`,
      ).to.equal(true);
    }

    // On the enclave owner's machine the same command re-runs each round: then everything matches.
    const own = await aggregator.json<Report>(["flai:verify", "--task", String(taskId)]);
    expect(
      own.verdict,
      JSON.stringify(
        own.items.filter((i) => i.verdict !== "match"),
        null,
        1,
      ),
    ).to.equal("match");
  });
});
