import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { Contract, getAddress } from "ethers";

import { format0G, parse0G } from "../amount.js";
import type { FlaiConfig } from "../config.js";
import { firstSigner, useConnection, type FlaiConnection } from "../connection.js";
import { flaiError } from "../errors.js";
import { parseId } from "../ids.js";
import { readInput, type Input } from "../inputs.js";
import { parseDataset, validateFeatureCount } from "../ml/dataset.js";
import { parseModelSpec } from "../ml/model.js";
import type { StorageBackend } from "../storage/types.js";
import { verifyReport } from "../tee/attestation.js";
import type { TeeSim, TrainingResult } from "../tee/enclave.js";
import { sendTx } from "../tx.js";
import { bothInOrder } from "../util/promise.js";

import { loadFlaiArtifact } from "./artifact.js";
import { isEphemeral, resolveDeployment, type Deployment } from "./deployment.js";
import { compactSignature } from "./eip712.js";
import { decodeRevert } from "./revert.js";
import type {
  CompletedJob,
  ConnectionOption,
  EnclaveRegistration,
  InputRef,
  JobStatus,
  JobView,
  SubmitOptions,
  SubmittedJob,
} from "./types.js";

const STATUS: Record<number, JobStatus | undefined> = { 1: "open", 2: "completed", 3: "cancelled" };
const ZERO_HASH = "0x" + "0".repeat(64);

/** `hre.flai.jobs`: the compute-job escrow on the chosen network, deployed through Ignition. */
export class FlaiJobs {
  readonly #hre: HardhatRuntimeEnvironment;
  readonly #config: FlaiConfig;
  readonly #storage: StorageBackend;
  readonly #tee: TeeSim;

  constructor(hre: HardhatRuntimeEnvironment, deps: { config: FlaiConfig; storage: StorageBackend; teeSim: TeeSim }) {
    this.#hre = hre;
    this.#config = deps.config;
    this.#storage = deps.storage;
    this.#tee = deps.teeSim;
  }

  /** Deploys FLAIComputeJobs on the network unless Ignition already recorded a deployment there. */
  async deploy(opts: ConnectionOption = {}): Promise<Deployment> {
    const connection = await useConnection(this.#hre, opts.connection);
    return this.#deployment(connection, true);
  }

  /** The deployment tasks use: reused if recorded; on an in-process chain, made on first use. */
  async deployment(opts: ConnectionOption = {}): Promise<Deployment> {
    const connection = await useConnection(this.#hre, opts.connection);
    return this.#deployment(connection, isEphemeral(connection));
  }

  async submit(opts: SubmitOptions): Promise<SubmittedJob> {
    const reward = parse0G(opts.reward, "--reward", { maxDecimals: 9 });
    const deadlineSeconds = opts.deadlineSeconds ?? this.#config.jobs.deadlineSeconds;
    if (!Number.isInteger(deadlineSeconds) || deadlineSeconds <= 0) {
      throw flaiError(`The job deadline must be a whole number of seconds > 0, got ${deadlineSeconds}.`);
    }
    // Inputs are checked before anything is paid for: a job the enclave cannot train is a lost reward.
    const [dataBytes, modelBytes] = await bothInOrder(
      readInput(opts.data, "--data", this.#storage),
      readInput(opts.model, "--model", this.#storage),
    );
    const dataset = parseDataset(dataBytes.bytes, dataBytes.source);
    const spec = parseModelSpec(modelBytes.bytes, modelBytes.source);
    validateFeatureCount(dataset, spec.features, dataBytes.source);
    const data = await this.#store(dataBytes);
    const model = await this.#store(modelBytes);

    const { contract, connection, deployment } = await this.#bound(opts.connection);
    const latest = await connection.ethers.provider.getBlock("latest");
    const deadline = BigInt(latest?.timestamp ?? Math.floor(Date.now() / 1000)) + BigInt(deadlineSeconds);
    const receipt = await this.#send(contract, "submitJob", [data.root, model.root, deadline], { value: reward });
    const event = receipt.logs
      .map((log) => contract.interface.parseLog(log))
      .find((parsed) => parsed?.name === "JobSubmitted");
    if (event === undefined || event === null) {
      throw flaiError(`submitJob succeeded (tx ${receipt.hash}) but emitted no JobSubmitted event: is ${deployment.address} FLAIComputeJobs?`);
    }
    const job = await this.#read(contract, deployment, connection, event.args[0] as bigint);
    return { job, txHash: receipt.hash, gasUsed: receipt.gasUsed, data, model };
  }

  async get(jobId: bigint | number | string, opts: ConnectionOption = {}): Promise<JobView> {
    const { contract, connection, deployment } = await this.#bound(opts.connection);
    return this.#read(contract, deployment, connection, parseJobId(jobId));
  }

  /** Trains an open job inside the simulated enclave; the reward will go to `payee` (default: this account). */
  async train(jobId: bigint | number | string, opts: ConnectionOption & { payee?: string } = {}): Promise<TrainingResult> {
    const { connection, contract, deployment, signer } = await this.#bound(opts.connection);
    const job = await this.#read(contract, deployment, connection, parseJobId(jobId));
    assertOpen(job);
    const payee = opts.payee === undefined ? await signer.getAddress() : parseAddress(opts.payee, "--payee");
    return this.#tee.train({
      jobId: job.id,
      dataRoot: job.dataRoot,
      modelRoot: job.modelRoot,
      chainId: deployment.chainId,
      contract: deployment.address,
      payee,
    });
  }

  /** Sends the enclave's signed result; the contract checks the signer and pays the signed payee. */
  async complete(result: TrainingResult, opts: ConnectionOption = {}): Promise<CompletedJob> {
    const { contract, connection, deployment } = await this.#bound(opts.connection);
    if (result.chainId !== deployment.chainId || getAddress(result.contract) !== deployment.address) {
      throw flaiError(
        `This result was signed for FLAIComputeJobs ${result.contract} on chain ${result.chainId}, ` +
          `but network "${connection.networkName}" uses ${deployment.address} on chain ${deployment.chainId}. ` +
          `Complete it on the network it was trained for.`,
      );
    }
    const before = await this.#read(contract, deployment, connection, result.jobId);
    assertOpen(before);
    const { r, vs } = compactSignature(result.signature);
    const receipt = await this.#send(contract, "completeJob", [result.jobId, result.resultHash, result.payee, r, vs]);
    const job = await this.#read(contract, deployment, connection, result.jobId);
    return { job, txHash: receipt.hash, gasUsed: receipt.gasUsed, payee: result.payee, reward: before.reward };
  }

  /**
   * Makes the contract accept this machine's enclave: verifies its attestation report, then (as the
   * contract owner) accepts its measurement and registers its signer. Sends nothing if already so.
   */
  async registerEnclave(opts: ConnectionOption = {}): Promise<EnclaveRegistration> {
    const { contract, signer, deployment } = await this.#bound(opts.connection);
    const report = await this.#tee.report();
    verifyReport(report, { measurement: await this.#tee.measurement() });
    const txHashes: string[] = [];
    const [accepted, registered] = await Promise.all([
      contract.isMeasurementAccepted(report.measurement) as Promise<boolean>,
      contract.enclaveMeasurement(report.signer) as Promise<string>,
    ]);
    if (accepted && registered.toLowerCase() === report.measurement.toLowerCase()) {
      return { signer: report.signer, measurement: report.measurement, txHashes };
    }
    const owner = getAddress((await contract.owner()) as string);
    if (owner !== getAddress(await signer.getAddress())) {
      throw flaiError(
        `Enclave ${report.signer} (measurement ${report.measurement}) is not registered on FLAIComputeJobs ${deployment.address}, ` +
          `and only its owner ${owner} can register it. Ask the owner to run: npx hardhat flai:enclave --register --network ${deployment.networkName}`,
      );
    }
    if (!accepted) {
      txHashes.push((await this.#send(contract, "acceptMeasurement", [report.measurement])).hash);
    }
    if (registered.toLowerCase() !== report.measurement.toLowerCase()) {
      txHashes.push((await this.#send(contract, "registerEnclave", [report.signer, report.measurement])).hash);
    }
    return { signer: report.signer, measurement: report.measurement, txHashes };
  }

  #deployment(connection: FlaiConnection, deployIfMissing: boolean): Promise<Deployment> {
    return resolveDeployment(this.#hre, connection, deployIfMissing);
  }

  async #bound(given: FlaiConnection | undefined) {
    const connection = await useConnection(this.#hre, given);
    const deployment = await this.#deployment(connection, isEphemeral(connection));
    const signer = await firstSigner(connection);
    const contract = new Contract(deployment.address, loadFlaiArtifact("FLAIComputeJobs").abi, signer);
    return { connection, deployment, signer, contract };
  }

  async #read(contract: Contract, deployment: Deployment, connection: FlaiConnection, id: bigint): Promise<JobView> {
    let raw: { submitter: string; deadline: bigint; reward: bigint; dataRoot: string; modelRoot: string; resultHash: string; status: bigint };
    try {
      raw = await contract.getJob(id);
    } catch (error) {
      if (decodeRevert(error, contract.interface)?.name === "UnknownJob") {
        const count = (await contract.jobCount()) as bigint;
        throw flaiError(
          `Job ${id} does not exist on network "${connection.networkName}" (FLAIComputeJobs ${deployment.address} has ` +
            (count === 0n ? "no jobs yet" : `jobs 1..${count}`) + `).`,
        );
      }
      throw error;
    }
    return {
      id,
      status: STATUS[Number(raw.status)] ?? "open",
      submitter: raw.submitter,
      reward: raw.reward,
      deadline: raw.deadline,
      dataRoot: raw.dataRoot,
      modelRoot: raw.modelRoot,
      resultHash: raw.resultHash === ZERO_HASH ? undefined : raw.resultHash,
      contract: deployment.address,
      chainId: deployment.chainId,
      networkName: connection.networkName,
    };
  }

  #send(contract: Contract, method: string, args: unknown[], overrides: { value?: bigint } = {}) {
    return sendTx(contract, "FLAIComputeJobs", method, args, { ...overrides, explain: explainRevert });
  }

  async #store(input: Input): Promise<InputRef> {
    if (input.root !== undefined) {
      return { root: input.root, uploaded: undefined };
    }
    const uploaded = await this.#storage.upload(input.bytes);
    return { root: uploaded.root, uploaded };
  }
}

function parseJobId(value: bigint | number | string): bigint {
  return parseId(value, "job");
}

function parseAddress(value: string, what: string): string {
  try {
    return getAddress(value);
  } catch {
    throw flaiError(`${what} must be a 0x address (20 bytes hex), got "${value}".`);
  }
}

function assertOpen(job: JobView): void {
  if (job.status === "completed") {
    throw flaiError(`Job ${job.id} is already completed with result hash ${job.resultHash}; its reward was paid.`);
  }
  if (job.status === "cancelled") {
    throw flaiError(`Job ${job.id} was cancelled by its submitter and refunded; it cannot be completed.`);
  }
}

function explainRevert(revert: { name: string; args: readonly unknown[] }): string | undefined {
  const a = revert.args;
  switch (revert.name) {
    case "UnacceptedEnclave":
      return `the result is signed by ${a[0]}, which is not a registered enclave with an accepted measurement (run flai:enclave --register as the contract owner).`;
    case "InvalidSignature":
      return "the enclave signature is malformed.";
    case "DeadlinePassed":
      return `job ${a[0]} passed its deadline (${new Date(Number(a[1]) * 1000).toISOString()}); the submitter may now cancel it.`;
    case "JobNotOpen":
      return `job ${a[0]} is no longer open.`;
    case "NotOwner":
      return `${a[0]} is not the contract owner.`;
    case "RewardNotGweiMultiple":
      return `the reward ${format0G(a[0] as bigint)} is not a multiple of 1 gwei.`;
    case "RewardTooLarge":
      return `the reward ${format0G(a[0] as bigint)} is too large.`;
    default:
      return undefined;
  }
}
