import { readFile } from "node:fs/promises";
import path from "node:path";

import { expect } from "chai";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/types";
import { configVariable } from "hardhat/config";
import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";
import { Wallet } from "ethers";

import type { FlaiConnection } from "../../src/chain/connection.js";
import { serveChain } from "../../src/chain/chain-server.js";
import { holdoutSplit, partitionDataset } from "../../src/federated/partition.js";
import { datasetJson } from "../../src/federated/simulation.js";
import { parseDataset, type Dataset } from "../../src/ml/dataset.js";

import { expectFlaiError } from "../helpers/assert.js";
import { devAccount, newParty, type Party } from "../helpers/parties.js";
import { readersOf } from "../helpers/federated.js";
import { FIXTURES, tempDir, tempProject } from "../helpers/project.js";

/**
 * Issue 12: what a participant needs to work from its own folder, key and machine — contract
 * addresses from config, read-only tasks without a key, claims of every owed round, cancelling a
 * failed task, and an enclave on another machine than the deployer's.
 */
describe("participants: addresses from config, read-only without a key, claims and cancel (issue 12)", function () {
  this.timeout(300_000);
  let host: HardhatRuntimeEnvironment;
  let connection: FlaiConnection;
  let signers: HardhatEthersSigner[];
  let server: { url: string; close(): Promise<void> };
  let addresses: { jobs: string; federated: string };
  let shares: Dataset[];
  let evaluation: string;

  before(async () => {
    ({ hre: host } = await tempProject());
    connection = await host.network.create();
    signers = await connection.ethers.getSigners();
    server = await serveChain(connection.provider);
    const deployment = await host.flai.jobs.deployment({ connection });
    addresses = { jobs: deployment.address, federated: deployment.federated };
    const all = parseDataset(await readFile(path.join(FIXTURES, "data.json")), "data.json");
    const { train, test } = holdoutSplit(all, 0.25, 5);
    shares = partitionDataset(train, 3, { scheme: "iid", seed: 3 });
    evaluation = (await host.flai.storage.upload(Buffer.from(datasetJson(test)))).root;
  });

  after(async () => {
    await server?.close();
  });

  /** Another project folder on the same chain (`shared`), with its own storage and enclave folders. */
  async function participant(flai: Record<string, unknown> = {}, accounts?: unknown[]) {
    const network = { type: "http" as const, url: server.url, ...(accounts === undefined ? {} : { accounts }) };
    return (await tempProject({ networks: { shared: network }, flai } as never, { network: "shared" })).hre;
  }

  async function newTask(quorum = 3, rounds = 2) {
    const created = await host.flai.fedavg.createTask({
      model: path.join(FIXTURES, "model.json"),
      evaluation,
      standardizeOn: shares[0]!,
      rounds,
      quorum,
      reward: "1",
      roundDuration: 3600,
      clients: await readersOf(host, connection, signers.slice(1, 4)),
      connection,
    });
    return created.task.id;
  }

  async function advance(seconds: number) {
    await connection.provider.request({ method: "evm_increaseTime", params: [seconds] });
    await connection.provider.request({ method: "evm_mine", params: [] });
  }

  describe("contract addresses", () => {
    it("a participant reaches the deployment through flai.deployments alone (FLAIFederated names its registry)", async () => {
      const taskId = await newTask();
      const reader = await participant({ deployments: { shared: { federated: addresses.federated } } });
      const found = await reader.flai.jobs.deployment();
      expect({ jobs: found.address, federated: found.federated, deployedNow: found.deployedNow }).to.deep.equal({
        ...addresses,
        deployedNow: false,
      });
      const { task } = await reader.flai.fedavg.status(taskId);
      expect(task.contract).to.equal(addresses.federated);
    });

    it("without one, a participant is told to configure the creator's addresses, never to run flai:deploy", async () => {
      const reader = await participant();
      const error = await expectFlaiError(() => reader.flai.fedavg.status(1), 'flai.deployments["shared"]', "flai:fl-create --json");
      expect(error.message).not.to.contain("flai:deploy");
      // The deployer's path (creating a task) may name flai:deploy as the other way.
      const creator = await participant();
      const created = creator.flai.fedavg.createTask({
        model: path.join(FIXTURES, "model.json"),
        evaluation: path.join(FIXTURES, "data.json"),
        standardizeOn: path.join(FIXTURES, "data.csv"),
        rounds: 1,
        quorum: 1,
        reward: "1",
      });
      await expectFlaiError(() => created, 'flai.deployments["shared"]', "npx hardhat flai:deploy --network shared");
    });

    it("a configured address without code on the chain is an error naming the setting", async () => {
      const nowhere = Wallet.createRandom().address;
      const reader = await participant({ deployments: { shared: { jobs: nowhere } } });
      await expectFlaiError(() => reader.flai.jobs.get(1), `flai.deployments["shared"].jobs is ${nowhere}`, "no contract at that address");
    });

    it("jobs and federated that do not belong together are refused; jobs alone serves jobs but says what federated tasks need", async () => {
      const mismatched = await participant({ deployments: { shared: { jobs: addresses.federated, federated: addresses.federated } } });
      await expectFlaiError(() => mismatched.flai.fedavg.status(1), `uses the enclave registry (FLAIComputeJobs) ${addresses.jobs}`);
      const jobsOnly = await participant({ deployments: { shared: { jobs: addresses.jobs } } });
      await expectFlaiError(() => jobsOnly.flai.jobs.get(999), "Job 999 does not exist");
      await expectFlaiError(() => jobsOnly.flai.fedavg.status(1), 'add flai.deployments["shared"].federated');
    });
  });

  describe("read-only needs no key", () => {
    it("fl-status, job and the task view work on a network whose key is not set; sending asks for it", async () => {
      const taskId = await newTask();
      delete process.env.FLAI_TEST_UNSET_KEY;
      const keyless = await participant({ deployments: { shared: addresses } }, [configVariable("FLAI_TEST_UNSET_KEY")]);
      const status = await keyless.flai.fedavg.status(taskId);
      expect(status.rounds[0]!.phase).to.equal("open");
      await expectFlaiError(() => keyless.flai.jobs.get(999), "Job 999 does not exist");
      const verdicts = await keyless.flai.verify.round(taskId);
      expect(verdicts.length).to.be.greaterThan(0);
      await expectFlaiError(() => keyless.flai.fedavg.claimAll({ taskId }), "FLAI_TEST_UNSET_KEY");
    });

    it("a network with no accounts at all reads too", async () => {
      const taskId = await newTask();
      const none = await participant({ deployments: { shared: addresses } }, []);
      expect((await none.flai.fedavg.task(taskId)).id).to.equal(taskId);
    });
  });

  describe("claims and cancel", () => {
    it("claimAll claims every finalized round the account is owed, once; a failed round is shown failed and the creator cancels it", async () => {
      const taskId = await newTask(3, 3);
      const clients = signers.slice(1, 4);
      for (const [i, signer] of clients.entries()) {
        await host.flai.fedavg.runClient({ taskId, data: shares[i]!, signer, connection });
      }
      await host.flai.fedavg.aggregate({ taskId, connection });
      for (const [i, signer] of clients.entries()) {
        await host.flai.fedavg.runClient({ taskId, data: shares[i]!, signer, connection });
      }
      await host.flai.fedavg.aggregate({ taskId, connection });

      const before = await connection.ethers.provider.getBalance(clients[0]!.address);
      const all = await host.flai.fedavg.claimAll({ taskId, signer: clients[0]!, connection });
      expect(all.claimed.map((c) => c.round)).to.deep.equal([1, 2]);
      expect(all.skipped).to.deep.equal([]);
      const paid = all.claimed.reduce((sum, c) => sum + c.amount, 0n);
      expect(paid > 0n).to.equal(true);
      expect((await connection.ethers.provider.getBalance(clients[0]!.address)) > before).to.equal(true);
      // One round claimed alone first, then the rest: nothing is paid twice.
      await host.flai.fedavg.claim({ taskId, round: 1, signer: clients[1]!, connection });
      const rest = await host.flai.fedavg.claimAll({ taskId, signer: clients[1]!, connection });
      expect(rest.claimed.map((c) => c.round)).to.deep.equal([2]);
      expect(rest.skipped).to.deep.equal([{ round: 1, reason: "already-claimed" }]);
      const again = await host.flai.fedavg.claimAll({ taskId, signer: clients[0]!, connection });
      expect(again.claimed).to.deep.equal([]);
      expect(again.skipped.map((s) => s.reason)).to.deep.equal(["already-claimed", "already-claimed"]);

      // Round 3: nobody shows up. Open until its deadline; cancel is refused until it has failed.
      await expectFlaiError(() => host.flai.fedavg.cancel({ taskId, connection }), "cannot be cancelled now", "round 3 is open until");
      await advance(3601);
      const { rounds } = await host.flai.fedavg.status(taskId, { connection });
      expect(rounds.map((r) => r.phase)).to.deep.equal(["finalized", "finalized", "failed-no-quorum"]);
      await expectFlaiError(() => host.flai.fedavg.cancel({ taskId, signer: clients[0]!, connection }), "Only task", "creator");
      const task = await host.flai.fedavg.task(taskId, { connection });
      const cancelled = await host.flai.fedavg.cancel({ taskId, connection });
      expect(cancelled).to.deep.include({ taskId, round: 3, creator: signers[0]!.address });
      expect(cancelled.refund).to.equal(task.rewardPool - 2n * (task.rewardPool / 3n));
      expect((await host.flai.fedavg.task(taskId, { connection })).status).to.equal("cancelled");
      // Claims of finalized rounds survive the cancel.
      const third = await host.flai.fedavg.claimAll({ taskId, signer: clients[2]!, connection });
      expect(third.claimed.map((c) => c.round)).to.deep.equal([1, 2]);
    });

    it("a round that met its quorum is cancellable only after its finalize window", async () => {
      const taskId = await newTask(3, 1);
      for (const [i, signer] of signers.slice(1, 4).entries()) {
        await host.flai.fedavg.runClient({ taskId, data: shares[i]!, signer, connection });
      }
      await advance(3601); // past the deadline with the quorum: the enclave may still finalize
      expect((await host.flai.fedavg.status(taskId, { connection })).rounds[0]!.phase).to.equal("awaiting-result");
      await expectFlaiError(() => host.flai.fedavg.cancel({ taskId, connection }), "met its quorum (3 updates)", "Try again after");
      await advance(3600);
      expect((await host.flai.fedavg.status(taskId, { connection })).rounds[0]!.phase).to.equal("failed-not-finalized");
      const cancelled = await host.flai.fedavg.cancel({ taskId, connection });
      expect(cancelled.refund).to.equal((await host.flai.fedavg.task(taskId, { connection })).rewardPool);
    });
  });

  describe("the enclave on another machine, every party in its own folder (CLI)", () => {
    // The fields of the tasks' --json output these steps read.
    type EnclaveJson = { authority: string; measurement: string; signer: string };
    type DeployJson = { address: string; federated: string; attestationAuthority: string; accepted: { measurement: string } };
    type CreatedJson = { taskId: string; task: { id: string; enclave: string }; deployments: Record<string, unknown> };
    let root: string;
    let hostParty: Party;
    let creator: Party;
    let reader: Party;

    before(async () => {
      root = await tempDir("flai-parties-");
      creator = await newParty({ root, name: "creator", rpcUrl: server.url, account: devAccount(5) });
      hostParty = await newParty({ root, name: "host", rpcUrl: server.url, account: devAccount(6) });
      reader = await newParty({ root, name: "reader", rpcUrl: server.url });
    });

    it("deploy pins the host's authority, the host registers, the creator names its enclave; a keyless reader sees the task", async () => {
      const enclave = await hostParty.json<EnclaveJson>(["flai:enclave"]);
      expect(enclave.authority).to.match(/^0x[0-9a-fA-F]{40}$/);
      const creatorEnclave = await creator.json<EnclaveJson>(["flai:enclave"]);
      expect(creatorEnclave.authority).to.not.equal(enclave.authority); // two machines, two dev authorities
      expect(creatorEnclave.measurement).to.equal(enclave.measurement); // one version, one measurement

      const deployed = await creator.json<DeployJson>(["flai:deploy", "--attestation-authority", enclave.authority]);
      expect(deployed.attestationAuthority).to.equal(enclave.authority);
      expect(deployed.accepted.measurement).to.equal(enclave.measurement);
      const block = `{ deployments: { localnode: { jobs: "${deployed.address}", federated: "${deployed.federated}" } } }`;

      // Before the host registers, the creator cannot name its enclave.
      const early = await creator.run(["flai:fl-create", ...createArgs(), "--enclave", enclave.signer]);
      expect(early.code).to.not.equal(0);
      expect(early.stderr + early.stdout).to.contain(`--enclave ${enclave.signer} cannot be the task's enclave`);
      // The remedy is given once (the wrapper used to repeat the reason's own, run into it without a stop).
      expect(early.stderr.split("flai:enclave --register").length - 1).to.equal(1, early.stderr);

      await hostParty.configure(block);
      const registered = await hostParty.json<{ registration: { authority: string } }>(["flai:enclave", "--register"]);
      expect(registered.registration.authority).to.equal(enclave.authority);

      const created = await creator.json<CreatedJson>(["flai:fl-create", ...createArgs(), "--enclave", enclave.signer]);
      expect(created.task.enclave).to.equal(enclave.signer);
      expect(created.deployments.localnode).to.deep.equal({ jobs: deployed.address, federated: deployed.federated });
      expect(created.taskId).to.equal(created.task.id);

      const unconfigured = await reader.run(["flai:fl-status", "--task", created.taskId]);
      expect(unconfigured.code).to.not.equal(0);
      expect(unconfigured.stderr + unconfigured.stdout)
        .to.contain('flai.deployments["localnode"]')
        .and.not.contain("flai:deploy");

      await reader.configure(`{ deployments: ${JSON.stringify(created.deployments)} }`);
      const status = await reader.json<{
        task: { enclave: string; measurement: string };
        rounds: [{ phase: string }, ...Array<{ phase: string }>];
      }>(["flai:fl-status", "--task", created.taskId]);
      expect(status.task.enclave).to.equal(enclave.signer);
      expect(status.task.measurement).to.equal(enclave.measurement);
      expect(status.rounds[0].phase).to.equal("open");
    });

    function createArgs(): string[] {
      return [
        "--model",
        path.join(FIXTURES, "model.json"),
        "--test",
        path.join(FIXTURES, "data.json"),
        "--standardize-on",
        path.join(FIXTURES, "data.csv"),
        "--rounds",
        "1",
        "--quorum",
        "1",
        "--reward",
        "1",
      ];
    }
  });
});
