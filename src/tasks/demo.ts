import { mkdtemp, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";

import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { format0G } from "../chain/amount.js";
import { firstSigner, useConnection, type FlaiConnection } from "../chain/connection.js";
import { startStorageDevnet } from "../devnet/storage-devnet.js";
import { flaiError, flaiErrorCode } from "../errors.js";
import { JOB_RESULT_NOT_READER } from "../jobs/read-result.js";
import { isSealedArtifact } from "../privacy/artifact.js";
import type { FlaiRuntime } from "../runtime.js";
import { zeroGStorageFor } from "../storage/create.js";
import { writeResultFile } from "../jobs/result-file.js";
import { packageRoot } from "../package-root.js";
import { Ui, shortHex } from "../ui.js";
import { writeFileAtomic } from "../util/fs.js";

import { printPing, printSettlement } from "../cli/print-market.js";
import { printJob } from "../cli/print-job.js";
import { startComputeDevnet } from "../devnet/compute-devnet.js";
import { modelAnswerer } from "../devnet/compute/model-answerer.js";
import { renderReportSummary } from "../federated/report-text.js";
import { runSimulation } from "../federated/simulation.js";
import { NOT_ADMITTED } from "../federated/task-access.js";
import { prewarmWorker } from "../tee/run-worker.js";
import { demoModelFile, jobResultFile } from "../paths.js";
import { sha256Hex } from "../util/sha256.js";

/** flai:demo's arguments as src/task-definitions.ts declares them (an option left out is undefined). */
export interface DemoTaskArguments {
  reward: string;
  storage: string;
  json: boolean;
}

/** The seed PoC, end to end, in one process: works on the in-process chain with nothing else running. */
export default async function demo(args: DemoTaskArguments, hre: HardhatRuntimeEnvironment) {
  if (args.storage !== "local" && args.storage !== "devnet") {
    throw flaiError(`--storage must be "local" or "devnet", got "${args.storage}".`);
  }
  // The demo attests the enclave, trains a job in it and aggregates rounds: one enclave worker loads
  // those programs now, while the chain connects and the contracts deploy (an idle worker never holds
  // the process). Without this, each first call waited for the worker's start-up.
  prewarmWorker("attest-worker");
  prewarmWorker("worker");
  prewarmWorker("../federated/round-close-worker");
  prewarmWorker("../federated/aggregator-worker");
  const ui = new Ui({ json: args.json });
  const connection = await useConnection(hre);
  if (args.storage === "local") {
    return runDemo(hre.flai, connection, args, ui, hre);
  }
  // The 0G path end to end: contracts + storage node on this chain, uploads through the real SDK.
  const dir = await mkdtemp(path.join(os.tmpdir(), "flai-devnet-"));
  const devnet = await startStorageDevnet(connection, { dir });
  try {
    const storage = await zeroGStorageFor(connection, hre.config.flai, { indexerUrl: devnet.url });
    ui.line(`0G storage devnet: indexer ${devnet.url}, Flow ${devnet.flowAddress}`);
    return await runDemo(hre.flai.withStorage(storage), connection, args, ui, hre);
  } finally {
    await devnet.close();
    await rm(dir, { recursive: true, force: true });
  }
}

/** The three parts in order, each printing as it goes; the JSON result gathers what they return. */
async function runDemo(flai: FlaiRuntime, connection: FlaiConnection, args: { reward: string }, ui: Ui, hre: HardhatRuntimeEnvironment) {
  ui.title(`hardhat-flai demo — compute job on network "${connection.networkName}"`);
  const computeJob = await computeJobPart(flai, connection, args, ui, hre);
  const federated = await federatedPart(flai, connection, args, ui, hre);
  const { inference, settlement } = await inferencePart(flai, connection, federated.taskId, ui);
  ui.result({ inference, settlement, ...computeJob, federated });
}

/**
 * The seed's compute job, private (issue 17): deploy, store the inputs encrypted to the enclave, train in
 * it (the model comes out encrypted to the submitter), complete, and read the model back as the submitter.
 */
async function computeJobPart(
  flai: FlaiRuntime,
  connection: FlaiConnection,
  args: { reward: string },
  ui: Ui,
  hre: HardhatRuntimeEnvironment,
) {
  const submitter = await firstSigner(connection);
  const signers = await connection.ethers.getSigners();
  const provider = signers[1] ?? submitter; // the compute provider who runs the enclave and is paid

  ui.step("Deploying FLAIComputeJobs and registering the simulated enclave");
  const deployment = await flai.jobs.deployment({ connection });
  const enclave = await flai.jobs.registerEnclave({ connection });
  ui.info("contract", `${deployment.address} (chain ${deployment.chainId})`);
  ui.info("enclave", `${enclave.signer}, measurement ${shortHex(enclave.measurement)}`);

  ui.step(`Encrypting data.json + model.json to the enclave and uploading them to ${flai.storage.kind} storage`);
  const fixtures = path.join(packageRoot(), "fixtures");
  const submitted = await flai.jobs.submit({
    data: path.join(fixtures, "data.json"),
    model: path.join(fixtures, "model.json"),
    reward: args.reward,
    connection,
  });
  const stored = await Promise.all([submitted.job.dataRoot, submitted.job.modelRoot].map((root) => flai.storage.read(root)));
  ui.info("data root", `${submitted.data.root} (ciphertext: ${isSealedArtifact(stored[0]!)})`);
  ui.info("model root", `${submitted.model.root} (ciphertext: ${isSealedArtifact(stored[1]!)})`);
  ui.ok(`New Job Submitted with ID: ${submitted.job.id}  (reward ${format0G(submitted.job.reward)}, gas ${submitted.gasUsed})`);
  ui.info("privacy", `the job's data and model spec are stored encrypted: only enclave ${submitted.enclave} can read them`);

  ui.step("Training logistic regression inside the simulated TEE");
  const result = await ui.progress("training", () => flai.jobs.train(submitted.job.id, { connection, payee: provider.address }));
  const resultFile = jobResultFile(hre.config.paths.root, result.jobId);
  await writeResultFile(resultFile, result);
  ui.ok(`Trained model stored encrypted to the submitter as ${result.resultRoot}; the host never saw it`);
  ui.info("result file", `${path.relative(process.cwd(), resultFile)} (signed result, no model)`);
  ui.ok(`Result Hash: ${result.resultHash.slice(2)}`);

  ui.step("Completing the job with the enclave's signature");
  const before = await connection.ethers.provider.getBalance(result.payee);
  const completed = await flai.jobs.complete(result, { connection });
  const after = await connection.ethers.provider.getBalance(result.payee);
  ui.ok(`Job ${completed.job.id} marked complete with result hash: ${result.resultHash.slice(2)}  (gas ${completed.gasUsed})`);
  ui.info("payee", `${completed.payee} received ${format0G(after - before)}`);

  ui.step("Reading the model back as the submitter and checking it against the on-chain hash");
  const job = await flai.jobs.get(completed.job.id, { connection });
  printJob(ui, job);
  const read = await flai.jobs.readResult(job.id, { connection, account: 0 });
  const downloaded = demoModelFile(hre.config.paths.root, job.id);
  await writeFileAtomic(downloaded, read.bytes);
  const sha = sha256Hex(await readFile(downloaded));
  ui.ok(`decrypted by the submitter ${submitter.address}: accuracy ${read.model.training.accuracy.toFixed(4)}`);
  ui.ok(`sha256(${path.relative(process.cwd(), downloaded)}) = on-chain result hash: ${sha === job.resultHash}`);
  const providerCannot = await flai.jobs.readResult(job.id, { connection, account: 1 }).then(
    () => false,
    (error: unknown) => flaiErrorCode(error) === JOB_RESULT_NOT_READER,
  );
  ui.info("privacy", `the compute provider (account #1) cannot read the model: ${providerCannot}`);

  return {
    deployment,
    enclave,
    submitted,
    resultHash: result.resultHash,
    modelRoot: result.resultRoot,
    completed,
    job,
    verified: sha === job.resultHash,
    private: result.private,
  };
}

/** 3 clients × 2 rounds on the same chain, FedAvg inside the enclave. */
async function federatedPart(
  flai: FlaiRuntime,
  connection: FlaiConnection,
  args: { reward: string },
  ui: Ui,
  hre: HardhatRuntimeEnvironment,
) {
  const fixtures = path.join(packageRoot(), "fixtures");
  ui.step(
    "Federated rounds: 3 clients × 2 rounds, updates encrypted to the enclave, FedAvg inside it; the test set and every global model stored " +
      "encrypted with the task key (private task: the creator, the 3 admitted clients and the enclave read it)",
  );
  const federated = await ui.progress("federated run", (update) =>
    runSimulation(hre, flai, {
      data: path.join(fixtures, "data.json"),
      clients: 3,
      rounds: 2,
      partition: "iid",
      strategy: { name: "fedavg" },
      reward: args.reward,
      connection,
      onProgress: update,
    }),
  );
  for (const round of federated.rounds) {
    ui.ok(
      `Round ${round.round} finalized: ${round.accepted.length} updates aggregated, accuracy ${(round.metrics.accuracy * 100).toFixed(2)}%, ` +
        `global model ${shortHex(round.globalRoot)} (gas ${round.gas.finalizeRound})`,
    );
  }
  for (const line of renderReportSummary(federated)) {
    ui.line(`  ${line}`);
  }
  await showModelPrivacy(flai, connection, federated.taskId, federated.finalModelRoot, ui);
  return federated;
}

/**
 * What storage serves for the task's final model is ciphertext; its creator (an admitted reader)
 * opens it against the on-chain hash, and an account never admitted is refused by code.
 */
async function showModelPrivacy(flai: FlaiRuntime, connection: FlaiConnection, taskId: bigint, root: string, ui: Ui) {
  const stored = await flai.storage.read(root);
  const mine = await flai.federated.readGlobalModel(taskId, { connection });
  ui.ok(
    `Final global model ${shortHex(root)}: storage holds ${stored.length} bytes of ciphertext (sealed: ${isSealedArtifact(stored)}); ` +
      `the creator opens it, sha256 = on-chain hash: ${sha256Hex(mine.bytes) === mine.hash.toLowerCase()}`,
  );
  // Account 9 took no part in the task (the clients are accounts 1-3): it is not admitted.
  const outsider = await flai.federated.readGlobalModel(taskId, { connection, account: 9 }).catch((error: unknown) => error);
  ui.line(
    `  account 9 (never admitted) reading it: ${flaiErrorCode(outsider) === NOT_ADMITTED ? "refused (not admitted)" : "NOT refused"}`,
  );
}

/** Pay-per-inference: a 0G serving provider (the local stand-in) serves the federated global model. */
async function inferencePart(flai: FlaiRuntime, connection: FlaiConnection, taskId: bigint, ui: Ui) {
  const fixtures = path.join(packageRoot(), "fixtures");
  ui.step("Pay-per-inference: a 0G serving provider serves the federated global model");
  // The model is stored encrypted: the serving side opens it with the enclave's keyring entry.
  const served = await flai.federated.globalModel(taskId, { connection, asEnclave: true });
  const compute = await startComputeDevnet(connection, {
    model: `flai/federated-task-${taskId}`,
    answer: modelAnswerer(served),
  });
  let inference;
  let settlement;
  try {
    const market = { connection, contracts: compute.contracts };
    const providers = await flai.market.discover(market);
    ui.line(`Found ${providers.length} services`);
    for (const [i, p] of providers.entries()) {
      ui.line(`  [${i + 1}] ${p.model} | provider=${p.provider} | input=${format0G(p.inputPrice)} | output=${format0G(p.outputPrice)}`);
    }
    const setup = await flai.market.setup({ ...market, provider: compute.providerAddress, ledger: "3" });
    ui.line(setup.acknowledged.already ? "Provider already acknowledged." : "Provider acknowledged.");
    const sample = JSON.parse(await readFile(path.join(fixtures, "data.json"), "utf8")) as { features: number[][] };
    inference = await flai.market.ping({ ...market, provider: compute.providerAddress, prompt: JSON.stringify(sample.features[0]) });
    printPing(ui, inference);
    // The stand-in settles like a real provider, in batches; the demo asks it to settle its batch now
    // and then reads the chain, so "settled" is printed only when observed there.
    ui.step("The provider settles its batch of unpaid requests (settleFeesWithTEE)");
    await compute.settle();
    settlement = await flai.market.settlement({ ...market, provider: compute.providerAddress, since: inference.settlement.after });
    printSettlement(ui, settlement);
  } finally {
    await compute.close();
  }
  return { inference, settlement };
}
