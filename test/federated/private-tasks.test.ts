import { createHash, randomBytes } from "node:crypto";
import path from "node:path";

import { expect } from "chai";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/types";
import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";
import { Contract, type EventLog } from "ethers";

import type { FlaiConnection } from "../../src/chain/connection.js";
import { loadFlaiArtifact } from "../../src/chain/artifact.js";
import { flaiErrorCode } from "../../src/errors.js";
import { runAggregation, type AggregateRequest, type RecordedUpdate } from "../../src/federated/aggregator.js";
import { inputRefusalOf } from "../../src/federated/input-checks.js";
import { signRoundCloseInEnclave } from "../../src/federated/round-close.js";
import { NOT_ADMITTED, READER_KEY_MISSING } from "../../src/federated/task-access.js";
import { taskEvaluationBinding, taskKeysFor, taskModelBinding } from "../../src/federated/task-models.js";
import type { GlobalMetrics } from "../../src/federated/global-model.js";
import { isSealedArtifact, openArtifact } from "../../src/privacy/artifact.js";
import { buildKeyring, serializeKeyring } from "../../src/privacy/keyring.js";
import { readerKeyOf } from "../../src/privacy/reader-registry.js";
import { compactSignature } from "../../src/tee/job-result-signature.js";
import type { Dataset } from "../../src/ml/dataset.js";

import { expectFlaiError } from "../helpers/assert.js";
import { federatedFixture, readersOf } from "../helpers/federated.js";
import { FIXTURES } from "../helpers/project.js";

const sha256 = (b: Uint8Array) => "0x" + createHash("sha256").update(b).digest("hex");
/** Text every plaintext global model holds: none of it may appear in what storage serves for a private task. */
const PLAINTEXT_MARKERS = ["flai-global-model", "logistic-regression", "weights", "evaluationRoot", "standardization"];

/**
 * Issue 17, federated tasks: private by default. Storage holds only ciphertext of every model; the
 * creator, the admitted clients and the task's enclave open it and match the on-chain hash; a client
 * never admitted cannot; one admitted later reads the current model; a host-made keyring gets the
 * enclave to sign nothing; --public tasks behave as before.
 */
describe("federated: private tasks (issue 17)", function () {
  this.timeout(300_000);
  let hre: HardhatRuntimeEnvironment;
  let connection: FlaiConnection;
  let signers: HardhatEthersSigner[];
  let shares: Dataset[];
  let evaluation: string;
  let taskId: bigint;
  /** Signers 1..3 are admitted at creation; 4 registers its key but is admitted only later; 5 never registers. */
  let admitted: string[];
  /** Where the task's test set is stored (sealed), and round 1's scores on it (compared with a public run's). */
  let evaluationRoot: string;
  let privateRound1: GlobalMetrics;
  /** What createTask warned on stderr (the fixture's test set is a plaintext root). */
  const warnings: string[] = [];

  before(async () => {
    ({ hre, connection, signers, shares, evaluation } = await federatedFixture({ holdout: 7, split: 8 }, 3));
    admitted = await readersOf(hre, connection, signers.slice(1, 4));
    await hre.flai.federated.registerReaderKey({ signer: signers[4], connection });
    const warn = console.warn;
    console.warn = (line: string) => warnings.push(line);
    const created = await hre.flai.federated
      .createTask({
        model: path.join(FIXTURES, "model.json"),
        evaluation,
        standardizeOn: shares[0]!,
        rounds: 3,
        quorum: 3,
        reward: "1",
        clients: admitted,
        connection,
      })
      .finally(() => (console.warn = warn));
    taskId = created.task.id;
    evaluationRoot = created.evaluationRoot;
    expect(created.private).to.equal(true);
    expect(created.admitted).to.include.members([created.task.enclave, signers[0]!.address, ...admitted]);
  });

  function expectCiphertext(bytes: Uint8Array, what: string) {
    expect(isSealedArtifact(bytes), `${what} is sealed`).to.equal(true);
    const text = Buffer.from(bytes).toString("latin1");
    for (const marker of PLAINTEXT_MARKERS) expect(text, `${what} holds no "${marker}"`).to.not.contain(marker);
  }

  async function runRound(clients: HardhatEthersSigner[]) {
    for (const [i, signer] of clients.entries()) {
      await hre.flai.federated.runClient({ taskId, data: shares[i % shares.length]!, signer, connection });
    }
    return hre.flai.federated.aggregate({ taskId, connection });
  }

  it("stores only ciphertext: the initial model and every round's model, by their on-chain roots", async () => {
    const task = await hre.flai.federated.task(taskId, { connection });
    expectCiphertext(await hre.flai.storage.read(task.globalRoot), "the initial model");
    const agg = await runRound(signers.slice(1, 4));
    privateRound1 = agg.metrics;
    expectCiphertext(await hre.flai.storage.read(agg.globalRoot), "round 1's global model");
    // The hash on-chain is the plaintext's: the ciphertext does not hash to it.
    expect(sha256(await hre.flai.storage.read(agg.globalRoot))).to.not.equal(agg.globalHash.toLowerCase());
  });

  it("stores the test (evaluation) set sealed with the task key: ciphertext the creator opens, and the model commits its root", async () => {
    const plaintext = await hre.flai.storage.read(evaluation);
    const stored = await hre.flai.storage.read(evaluationRoot);
    expect(evaluationRoot).to.not.equal(evaluation);
    expect(isSealedArtifact(stored), "the test set is sealed").to.equal(true);
    // Given as a plaintext root, which stays readable there: the creator is told to pass the file.
    expect(warnings.join("\n")).to.contain(`--test ${evaluation} is stored in plaintext`).and.contain("pass the file");
    const text = Buffer.from(stored).toString("latin1");
    for (const marker of ["features", "labels", Buffer.from(plaintext.subarray(0, 24)).toString("latin1")]) {
      expect(text, `the stored test set holds no "${marker}"`).to.not.contain(marker);
    }
    const model = await hre.flai.federated.readGlobalModel(taskId, { account: 1, connection });
    expect(model.model.federated.evaluationRoot).to.equal(evaluationRoot);
    // The creator (any admitted reader) opens it with the task key its keyring entry gives.
    const deployment = await hre.flai.jobs.deployment({ connection });
    const ctx = { chainId: deployment.chainId, contract: deployment.federated, taskId };
    const fed = new Contract(deployment.federated, loadFlaiArtifact("FLAIFederated").abi, signers[0]);
    const logs = (await fed.queryFilter(fed.filters.KeyringPublished!(taskId))) as EventLog[];
    const keyrings = await Promise.all(logs.map((log) => hre.flai.storage.read(log.args.keyringRoot as string)));
    const { keys } = taskKeysFor(keyrings, await readerKeyOf(connection, 0), ctx);
    const opened = openArtifact(stored, keys[0]!, taskEvaluationBinding(ctx), "the test set");
    expect(Buffer.from(opened).equals(Buffer.from(plaintext))).to.equal(true);
    // Sealed before the task existed (id 0), like the initial model, but never opens as it.
    const asModel = await expectFlaiError(() => openArtifact(stored, keys[0]!, taskModelBinding(ctx, 0), "the test set"));
    expect(flaiErrorCode(asModel)).to.equal("artifact-not-authentic");
  });

  it("every admitted reader (creator, clients, the enclave) decrypts and matches the on-chain hash", async () => {
    const task = await hre.flai.federated.task(taskId, { connection });
    for (const account of [0, 1, 2, 3]) {
      const read = await hre.flai.federated.readGlobalModel(taskId, { account, connection });
      expect(read.private).to.equal(true);
      expect(read.round).to.equal(1);
      expect(sha256(read.bytes)).to.equal(task.globalHash.toLowerCase());
      expect(read.model.round).to.equal(1);
    }
    const asEnclave = await hre.flai.federated.readGlobalModel(taskId, { asEnclave: true, connection });
    expect(sha256(asEnclave.bytes)).to.equal(task.globalHash.toLowerCase());
    const initial = await hre.flai.federated.readGlobalModel(taskId, { round: 0, account: 1, connection });
    expect(initial.model.round).to.equal(0);
    await expectFlaiError(
      () => hre.flai.federated.readGlobalModel(taskId, { round: 2, account: 1, connection }),
      `Task ${taskId} has global models for rounds 0..1`,
      "no round 2 model yet",
    );
  });

  it("a client never admitted cannot read the model nor train on it: the error names flai:fl-admit", async () => {
    const outsider = signers[4]!.address;
    const error = await expectFlaiError(
      () => hre.flai.federated.readGlobalModel(taskId, { account: 4, connection }),
      outsider,
      `flai:fl-admit --task ${taskId} --clients ${outsider}`,
    );
    expect(flaiErrorCode(error)).to.equal(NOT_ADMITTED);
    const client = await expectFlaiError(
      () => hre.flai.federated.runClient({ taskId, data: shares[2]!, signer: signers[4], connection }),
      `flai:fl-admit --task ${taskId} --clients ${outsider}`,
    );
    expect(flaiErrorCode(client)).to.equal(NOT_ADMITTED);
  });

  it("only the creator admits, and only clients with a registered reader key", async () => {
    const notCreator = await expectFlaiError(
      () => hre.flai.federated.admit({ taskId, clients: [signers[4]!.address], signer: signers[1], connection }),
      "creator",
    );
    expect(flaiErrorCode(notCreator)).to.equal("not-creator");
    const noKey = await expectFlaiError(
      () => hre.flai.federated.admit({ taskId, clients: [signers[5]!.address], connection }),
      signers[5]!.address,
      "flai:reader-key --register",
    );
    expect(flaiErrorCode(noKey)).to.equal(READER_KEY_MISSING);
    await expectFlaiError(() => hre.flai.federated.admit({ taskId, clients: ["0x1234"], connection }), "--clients", "0x1234");
  });

  it("a client admitted in a later round reads the current model and every earlier one, and takes part", async () => {
    const admittedLate = await hre.flai.federated.admit({ taskId, clients: [signers[4]!.address], connection });
    expect(admittedLate.admitted).to.deep.equal([signers[4]!.address]);
    const task = await hre.flai.federated.task(taskId, { connection });
    const current = await hre.flai.federated.readGlobalModel(taskId, { account: 4, connection });
    expect(sha256(current.bytes)).to.equal(task.globalHash.toLowerCase());
    const initial = await hre.flai.federated.readGlobalModel(taskId, { round: 0, account: 4, connection });
    expect(initial.model.round).to.equal(0);
    const agg = await runRound(signers.slice(1, 5));
    expect(agg.accepted).to.have.length(4);
    const round2 = await hre.flai.federated.readGlobalModel(taskId, { account: 4, connection });
    expect(sha256(round2.bytes)).to.equal(agg.globalHash.toLowerCase());
  });

  it("a host-made keyring (a task key K' of the host's) is refused: the enclave signs nothing", async () => {
    for (const [i, signer] of signers.slice(1, 4).entries()) {
      await hre.flai.federated.runClient({ taskId, data: shares[i]!, signer, connection });
    }
    const request = await hostRequest();
    // The honest request aggregates (so the refusals below are the keyring's doing).
    const honest = await runAggregation(structuredClone(request));
    expect(honest.signature).to.match(/^0x/);

    const deployment = await hre.flai.jobs.deployment({ connection });
    const task = await hre.flai.federated.task(taskId, { connection });
    const host = await readerKeyOf(connection, 9);
    const enclaveKey = (await hre.flai.jobs.enclaveKey(task.enclave, { connection })).encryptionKey;
    const forged = serializeKeyring(
      buildKeyring({
        chainId: deployment.chainId,
        contract: deployment.federated,
        taskId,
        creator: host,
        taskKey: new Uint8Array(randomBytes(32)),
        readers: [{ address: task.enclave, readerKey: enclaveKey }],
      }),
    );
    // A test set swapped by the host (the plaintext one, another root) is refused: the model commits the sealed set's root.
    const swapped = await runAggregation({ ...structuredClone(request), evaluation: await hre.flai.storage.read(evaluation) }).catch(
      (error: unknown) => error,
    );
    expect(String(swapped)).to.contain(`does not have the committed root ${evaluationRoot}`);
    for (const keyrings of [[forged], [], undefined]) {
      const refused = await runAggregation({ ...structuredClone(request), keyrings }).catch((error: unknown) => error);
      expect(inputRefusalOf(refused), String(refused)).to.equal("previous-model-unreadable");
      expect(flaiErrorCode(refused)).to.equal("previous-model-unreadable");
      expect(String(refused)).to.contain("Nothing was aggregated or signed");
    }
  });

  it("--public: models in plaintext, any client joins without admission, and there is nothing to admit", async () => {
    const created = await hre.flai.federated.createTask({
      model: path.join(FIXTURES, "model.json"),
      evaluation,
      standardizeOn: shares[0]!,
      rounds: 1,
      quorum: 3,
      reward: "1",
      public: true,
      connection,
    });
    expect(created.private).to.equal(false);
    const id = created.task.id;
    const stored = await hre.flai.storage.read(created.task.globalRoot);
    expect(isSealedArtifact(stored)).to.equal(false);
    expect(sha256(stored)).to.equal(created.task.globalHash.toLowerCase());
    // Clients 5..7 never registered a reader key nor were admitted: a public task needs neither.
    for (const i of [0, 1, 2]) await hre.flai.federated.runClient({ taskId: id, data: shares[i]!, signer: signers[5 + i], connection });
    const agg = await hre.flai.federated.aggregate({ taskId: id, connection });
    // The same shares from the same initial model: the private round 1 (sealed test set) scored exactly the same.
    expect(agg.metrics.accuracy).to.equal(privateRound1.accuracy);
    expect(agg.metrics.logLoss).to.equal(privateRound1.logLoss);
    expect(isSealedArtifact(await hre.flai.storage.read(created.evaluationRoot))).to.equal(false);
    expect(created.evaluationRoot).to.equal(evaluation);
    const bytes = await hre.flai.storage.read(agg.globalRoot);
    expect(isSealedArtifact(bytes)).to.equal(false);
    expect(sha256(bytes)).to.equal(agg.globalHash.toLowerCase());
    const read = await hre.flai.federated.readGlobalModel(id, { account: 7, connection });
    expect(read.private).to.equal(false);
    const error = await expectFlaiError(
      () => hre.flai.federated.admit({ taskId: id, clients: [signers[4]!.address], connection }),
      "public",
    );
    expect(flaiErrorCode(error)).to.equal("public-task");
  });

  /** What an aggregator host hands the enclave for the current round (closed first), keyrings included. */
  async function hostRequest(): Promise<AggregateRequest> {
    const deployment = await hre.flai.jobs.deployment({ connection });
    const fed = new Contract(deployment.federated, loadFlaiArtifact("FLAIFederated").abi, signers[0]);
    const task = await hre.flai.federated.task(taskId, { connection });
    const round = task.currentRound;
    const binding = { chainId: deployment.chainId.toString(), contract: deployment.federated, taskId: taskId.toString(), round };
    if (!(await hre.flai.federated.round(taskId, round, { connection })).closed) {
      const { r, vs } = compactSignature((await signRoundCloseInEnclave({ enclaveDir: hre.flai.teeSim.dir, binding })).signature);
      await (await fed.getFunction("closeRound")(taskId, round, r, vs)).wait();
    }
    const recorded = await hre.flai.federated.recordedUpdates(taskId, round, { connection });
    const updates: RecordedUpdate[] = await Promise.all(
      recorded.map(async (u) => ({ ...u, ciphertext: await hre.flai.storage.read(u.updateRoot) })),
    );
    const keyringLogs = (await fed.queryFilter(fed.filters.KeyringPublished!(taskId))) as EventLog[];
    const keyrings = await Promise.all(keyringLogs.map((log) => hre.flai.storage.read(log.args.keyringRoot as string)));
    const frozen = await hre.flai.federated.round(taskId, round, { connection });
    const model = await hre.flai.federated.readGlobalModel(taskId, { connection });
    return {
      enclaveDir: hre.flai.teeSim.dir,
      binding,
      globalModel: await hre.flai.storage.read(task.globalRoot),
      globalHash: task.globalHash,
      keyrings,
      updatesAccumulator: frozen.updatesAccumulator,
      updateCount: frozen.updateCount,
      evaluation: await hre.flai.storage.read(model.model.federated.evaluationRoot),
      updates,
    };
  }
});
