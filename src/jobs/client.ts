import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { Contract, getAddress, Interface, ZeroHash, type ContractRunner } from "ethers";

import { format0G, parse0G } from "../chain/amount.js";
import type { FlaiConfig } from "../config.js";
import { firstSigner, useConnection, useReadConnection, type FlaiConnection } from "../chain/connection.js";
import { flaiError } from "../errors.js";
import { MAX_JOB_DEADLINE } from "../limits.js";
import { parseId } from "../chain/ids.js";
import { readInput, type Input } from "../inputs.js";
import { parseModelSpec, parseTrainingData, trainableData } from "../ml/model.js";
import type { StorageBackend } from "../storage/types.js";
import { devAuthorityAddress, registrationArgs, verifyReport, type EnclaveReport } from "../tee/attestation.js";
import type { TeeSim, TrainingResult } from "../tee/enclave.js";
import { sendTx } from "../chain/tx.js";
import { excerpt } from "../util/excerpt.js";
import { memoInterface } from "../util/memo-interface.js";
import { bothInOrder } from "../util/promise.js";

import { loadFlaiArtifact } from "../chain/artifact.js";
import { isEphemeral, resolveDeployment, type Deployment, type DeploymentRole } from "../chain/deployment.js";
import { compactSignature } from "../tee/job-result-signature.js";
import { readRegistration, verifiedEnclave, type VerifiedEnclave } from "../tee/registry.js";
import { eventsNamed } from "../chain/events.js";
import { jobSubmitted, readJobStruct } from "../chain/jobs-reads.js";
import { ensureReaderKey, registeredReaderKey } from "../privacy/reader-registry.js";
import { readJobResult, type JobResultRead } from "./read-result.js";
import { inputSealer, prepareInput, storedRoot, type InputSealer, type PreparedInput } from "./job-inputs.js";
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

  /**
   * Deploys FLAIComputeJobs + FLAIFederated on the network unless a deployment is configured or
   * recorded there. `attestationAuthority` (default flai.enclave.attestationAuthority, else this
   * machine's dev authority) is pinned for the contract's life: asking for another one than an
   * existing deployment pins is an error, not a silent reuse.
   */
  async deploy(opts: ConnectionOption & { attestationAuthority?: string } = {}): Promise<Deployment> {
    const connection = await useConnection(this.#hre, opts.connection);
    const wanted = opts.attestationAuthority === undefined ? undefined : parseAddress(opts.attestationAuthority, "--attestation-authority");
    const deployment = await resolveDeployment(this.#hre, connection, true, {
      role: "deployer",
      attestationAuthority: wanted,
      devAuthority: devAuthorityAddress,
    });
    if (wanted !== undefined && !deployment.deployedNow) {
      const pinned = getAddress(await this.#jobsContract(deployment, connection.ethers.provider).getFunction("attestationAuthority")());
      if (pinned !== wanted) {
        throw flaiError(
          `FLAIComputeJobs ${deployment.address} on network "${connection.networkName}" already pins attestation authority ${pinned}; ` +
            `a deployment's authority cannot change. Use that deployment as it is, or deploy afresh in another project folder.`,
        );
      }
    }
    return deployment;
  }

  /** The deployment tasks use: configured or recorded; on an in-process chain, made on first use. */
  async deployment(opts: ConnectionOption = {}): Promise<Deployment> {
    const connection = await useReadConnection(this.#hre, opts.connection);
    return this.#deployment(connection, isEphemeral(connection));
  }

  /** The attestation authority the deployment pins (the contract's, read from the chain). */
  async attestationAuthority(opts: ConnectionOption = {}): Promise<string> {
    const { contract } = await this.#reader(opts.connection);
    return getAddress((await contract.getFunction("attestationAuthority")()) as string);
  }

  /**
   * The owner's half of registering an enclave that runs elsewhere: accepts this version's measurement
   * (the same in every install form), so the aggregator host's `flai:enclave --register` goes through.
   * Sends nothing when already accepted.
   */
  async acceptMeasurement(opts: ConnectionOption = {}): Promise<{ measurement: string; txHash: string | undefined }> {
    const { contract, signer, deployment } = await this.#bound(opts.connection);
    const measurement = await this.#tee.measurement();
    if ((await contract.getFunction("isMeasurementAccepted")(measurement)) as boolean) {
      return { measurement, txHash: undefined };
    }
    const owner = getAddress((await contract.getFunction("owner")()) as string);
    if (owner !== getAddress(await signer.getAddress())) {
      throw flaiError(`Only the owner ${owner} of FLAIComputeJobs ${deployment.address} can accept measurement ${measurement}.`);
    }
    return { measurement, txHash: (await this.#send(contract, "acceptMeasurement", [measurement])).hash };
  }

  async submit(opts: SubmitOptions): Promise<SubmittedJob> {
    const reward = parse0G(opts.reward, "--reward", { maxDecimals: 9 });
    const deadlineSeconds = opts.deadlineSeconds ?? this.#config.jobs.deadlineSeconds;
    if (!Number.isInteger(deadlineSeconds) || deadlineSeconds <= 0) {
      throw flaiError(`The job deadline must be a whole number of seconds > 0, got ${deadlineSeconds}.`);
    }
    const deadlineSource = opts.deadlineSeconds !== undefined ? "--deadline" : "flai.jobs.deadlineSeconds (config)";
    // Checked against this machine's clock before anything is uploaded, and against the chain's before sending.
    assertDeadlineFits(BigInt(Math.floor(Date.now() / 1000)), deadlineSeconds, deadlineSource);
    const { connection, contract, deployment, data, model, enclave } = await this.#prepareInputs(opts);
    const latest = await connection.ethers.provider.getBlock("latest");
    const chainNow = BigInt(latest?.timestamp ?? Math.floor(Date.now() / 1000));
    const deadline = assertDeadlineFits(chainNow, deadlineSeconds, deadlineSource);
    const receipt = await this.#send(contract, "submitJob", [data.root, model.root, deadline], { value: reward });
    const [event] = eventsNamed(contract, receipt.logs, "JobSubmitted");
    if (event === undefined) {
      throw flaiError(
        `submitJob succeeded (tx ${receipt.hash}) but emitted no JobSubmitted event: is ${deployment.address} FLAIComputeJobs?`,
      );
    }
    const job = await this.#read(contract, deployment, connection, jobSubmitted(event).jobId);
    return { job, txHash: receipt.hash, gasUsed: receipt.gasUsed, data, model, private: enclave !== undefined, enclave };
  }

  /**
   * Reads, checks and stores a job's inputs: sealed to the enclave unless `public`. They are checked
   * before anything is paid for (a job the enclave cannot train is a lost reward): files before any
   * chain call, sealed roots once opened (which needs the submitter's and the enclave's keys).
   */
  async #prepareInputs(opts: SubmitOptions) {
    const isPublic = opts.public === true;
    const [dataIn, modelIn] = await bothInOrder(
      readInput(opts.data, "--data", this.#storage),
      readInput(opts.model, "--model", this.#storage),
    );
    const givenRoots = dataIn.root !== undefined || modelIn.root !== undefined;
    const prepare = async (sealer: InputSealer | undefined) => {
      const data = prepareInput(dataIn, "job-data", "--data", sealer);
      const dataRoot = sealer === undefined ? undefined : await storedRoot(data);
      return [data, prepareInput(modelIn, "job-model", "--model", sealer, dataRoot)] as const;
    };
    let prepared = isPublic ? await prepare(undefined) : undefined;
    if (isPublic || !givenRoots) checkTrainable(dataIn, modelIn);
    const { contract, connection, deployment } = await this.#bound(opts.connection, "deployer");
    let enclave: string | undefined;
    if (prepared === undefined) {
      const sealer = await this.#inputSealer(connection, deployment, opts.enclave);
      enclave = sealer.enclave;
      prepared = await prepare(sealer);
      const [data, model] = prepared;
      if (givenRoots) checkTrainable({ bytes: data.plaintext, source: data.source }, { bytes: model.plaintext, source: model.source });
    }
    const [data, model] = prepared;
    return { connection, contract, deployment, enclave, data: await this.#store(data), model: await this.#store(model) };
  }

  /**
   * K_in for a private job: the submitter's reader key (registered now if the chain does not have it:
   * the enclave gets it from the registry to open the inputs) and the enclave's key, read from the chain
   * and verified (`named`, or this machine's enclave, registered on the way).
   */
  async #inputSealer(connection: FlaiConnection, deployment: Deployment, named: string | undefined): Promise<InputSealer> {
    const measurement = await this.#tee.measurement();
    const signer =
      named === undefined
        ? (
            await this.registerEnclave({ connection }).catch((error: unknown) => {
              throw flaiError(
                `A private job's inputs are sealed to an enclave, and this machine's must be registered first: ${(error as Error).message} ` +
                  `Or name a registered one with --enclave <signer>.`,
                error,
              );
            })
          ).signer
        : parseAddress(named, "--enclave");
    const enclave = await this.enclaveKey(signer, { measurement, connection });
    // Registered once the enclave is known good, so a refused --enclave sends nothing.
    const me = await ensureReaderKey(connection, 0, deployment.address);
    return inputSealer({ chainId: deployment.chainId, contract: deployment.address, submitter: me.address }, enclave, me.secret);
  }

  async get(jobId: bigint | number | string, opts: ConnectionOption = {}): Promise<JobView> {
    const { contract, connection, deployment } = await this.#reader(opts.connection);
    return this.#read(contract, deployment, connection, parseJobId(jobId));
  }

  /**
   * Trains an open job inside the simulated enclave; the reward will go to `payee` (default: this
   * account). The model bytes the enclave returns (its ciphertext for a private job) are stored before
   * this returns, under the root the enclave signed: completing the job points readers at them.
   */
  async train(jobId: bigint | number | string, opts: ConnectionOption & { payee?: string } = {}): Promise<TrainingResult> {
    const { connection, contract, deployment, signer } = await this.#bound(opts.connection);
    const job = await this.#read(contract, deployment, connection, parseJobId(jobId));
    assertOpen(job);
    const payee = opts.payee === undefined ? await signer.getAddress() : parseAddress(opts.payee, "--payee");
    // A private job's enclave opens the inputs with the submitter's registered key; the registry's word
    // is handed over as a claim (a wrong key opens nothing), and a public job ignores it.
    const readerKey = await registeredReaderKey(connection, deployment.address, job.submitter);
    const result = await this.#tee.train({
      jobId: job.id,
      submitter: job.submitter,
      deadline: job.deadline,
      dataRoot: job.dataRoot,
      modelRoot: job.modelRoot,
      chainId: deployment.chainId,
      contract: deployment.address,
      payee,
      readerKey,
    });
    await this.#storeResult(result);
    return result;
  }

  /** Stores the enclave's model bytes; storage must root them as the enclave did (it signed that root). */
  async #storeResult(result: TrainingResult): Promise<void> {
    const stored = await this.#storage.upload(result.modelBytes);
    if (stored.root.toLowerCase() !== result.resultRoot.toLowerCase()) {
      throw flaiError(
        `Storage rooted job ${result.jobId}'s model as ${stored.root}, but the enclave signed result root ${result.resultRoot}: ` +
          `readers could not fetch the model by the on-chain root, so the job was not completed. Check the ${this.#storage.kind} storage backend.`,
      );
    }
  }

  /**
   * A completed job's trained model, read by network account `account` (default 0): downloaded by its
   * on-chain result root, opened with the submitter's key when private (anyone else is refused), and
   * returned only when its SHA-256 is the on-chain result hash.
   */
  async readResult(jobId: bigint | number | string, opts: ConnectionOption & { account?: number } = {}): Promise<JobResultRead> {
    const { contract, connection, deployment } = await this.#reader(opts.connection);
    const job = await this.#read(contract, deployment, connection, parseJobId(jobId));
    return readJobResult({ job, jobs: contract, storage: this.#storage, connection, account: opts.account ?? 0 });
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
    assertResultIsForJob(result, before);
    const { r, vs } = compactSignature(result.signature);
    const receipt = await this.#send(contract, "completeJob", [result.jobId, result.resultHash, result.resultRoot, result.payee, r, vs]);
    const job = await this.#read(contract, deployment, connection, result.jobId);
    return { job, txHash: receipt.hash, gasUsed: receipt.gasUsed, payee: result.payee, reward: before.reward };
  }

  /**
   * Makes the contract accept this machine's enclave: the enclave states its keys (from its sealed
   * secrets), this machine's attestation authority signs a report, and the report is presented to
   * `registerEnclave` (any account may; the contract checks the authority it pins). Only accepting the
   * measurement needs the owner. Sends nothing if the enclave is already registered and not about to expire.
   */
  async registerEnclave(opts: ConnectionOption = {}): Promise<EnclaveRegistration> {
    const { contract, signer, deployment, connection } = await this.#bound(opts.connection);
    const now = await chainTime(connection);
    const [keys, measurement] = await Promise.all([this.#tee.attestedKeys(), this.#tee.measurement()]);
    const [accepted, stored, pinned] = await Promise.all([
      contract.getFunction("isMeasurementAccepted")(measurement) as Promise<boolean>,
      readRegistration(contract, keys.signer),
      contract.getFunction("attestationAuthority")() as Promise<string>,
    ]);
    const current =
      stored.measurement === measurement.toLowerCase() &&
      stored.encryptionKey === keys.encryptionKey.toLowerCase() &&
      stored.expiry > now + RENEW_BEFORE_EXPIRY_SECONDS;
    const txHashes: string[] = [];
    if (accepted && current) {
      return { signer: keys.signer, measurement, authority: getAddress(pinned), expiry: stored.expiry, txHashes };
    }
    // Issued no earlier than the chain's clock (it may run ahead of this machine's) and after the
    // registration it replaces, which the contract requires so old reports cannot be replayed.
    const report = await this.#tee.report({ now: Math.max(now, stored.issuedAt + 1) });
    assertPinnedAuthority(report, getAddress(pinned), deployment.address);
    verifyReport(report, { authority: pinned, measurement, now });
    if (!accepted) {
      await this.#requireOwner(contract, signer, deployment, report);
      txHashes.push((await this.#send(contract, "acceptMeasurement", [measurement])).hash);
    }
    txHashes.push((await this.#send(contract, "registerEnclave", registrationArgs(report))).hash);
    return { signer: report.signer, measurement, authority: report.authority, expiry: report.expiry, txHashes };
  }

  /**
   * The X25519 key to encrypt to for enclave `signer`, read from the chain and re-verified there: the
   * registration is unexpired and for an accepted measurement (`expect.measurement` when given), and its
   * EnclaveRegistered event's report is signed by the attestation authority the contract pins. Never
   * from a machine-local file.
   */
  async enclaveKey(signer: string, opts: ConnectionOption & { measurement?: string; authority?: string } = {}): Promise<VerifiedEnclave> {
    const { contract, connection } = await this.#reader(opts.connection);
    const address = parseAddress(signer, "The enclave signer");
    return verifiedEnclave(contract, address, await chainTime(connection), { measurement: opts.measurement, authority: opts.authority });
  }

  async #requireOwner(contract: Contract, signer: { getAddress(): Promise<string> }, deployment: Deployment, report: EnclaveReport) {
    const owner = getAddress((await contract.getFunction("owner")()) as string);
    if (owner !== getAddress(await signer.getAddress())) {
      throw flaiError(
        `Enclave ${report.signer} runs measurement ${report.measurement}, which FLAIComputeJobs ${deployment.address} does not accept, ` +
          `and only its owner ${owner} can accept a measurement. Ask the owner to run: npx hardhat flai:enclave --register --network ${deployment.networkName}`,
      );
    }
  }

  #deployment(connection: FlaiConnection, deployIfMissing: boolean, role: DeploymentRole = "participant"): Promise<Deployment> {
    return resolveDeployment(this.#hre, connection, deployIfMissing, { role, devAuthority: devAuthorityAddress });
  }

  #jobsContract(deployment: Deployment, runner: ContractRunner): Contract {
    return new Contract(deployment.address, jobsInterface(), runner);
  }

  /** For sending: the network's first account signs. */
  async #bound(given: FlaiConnection | undefined, role: DeploymentRole = "participant") {
    const connection = await useConnection(this.#hre, given);
    const deployment = await this.#deployment(connection, isEphemeral(connection), role);
    const signer = await firstSigner(connection);
    return { connection, deployment, signer, contract: this.#jobsContract(deployment, signer) };
  }

  /** For reading: through the provider, so no private key is needed. */
  async #reader(given: FlaiConnection | undefined) {
    const connection = await useReadConnection(this.#hre, given);
    const deployment = await this.#deployment(connection, isEphemeral(connection));
    return { connection, deployment, contract: this.#jobsContract(deployment, connection.ethers.provider) };
  }

  async #read(contract: Contract, deployment: Deployment, connection: FlaiConnection, id: bigint): Promise<JobView> {
    const raw = await readJobStruct(contract, id, { networkName: connection.networkName, address: deployment.address });
    return {
      id,
      status: STATUS[Number(raw.status)] ?? "open",
      submitter: raw.submitter,
      reward: raw.reward,
      deadline: raw.deadline,
      dataRoot: raw.dataRoot,
      modelRoot: raw.modelRoot,
      resultHash: raw.resultHash === ZeroHash ? undefined : raw.resultHash,
      resultRoot: raw.resultRoot === ZeroHash ? undefined : raw.resultRoot,
      contract: deployment.address,
      chainId: deployment.chainId,
      networkName: connection.networkName,
    };
  }

  #send(contract: Contract, method: string, args: unknown[], overrides: { value?: bigint } = {}) {
    return sendTx(contract, "FLAIComputeJobs", method, args, { ...overrides, explain: explainRevert });
  }

  async #store(input: PreparedInput): Promise<InputRef> {
    if ("root" in input.store) {
      return { root: input.store.root, uploaded: undefined };
    }
    const uploaded = await this.#storage.upload(input.store.bytes);
    return { root: uploaded.root, uploaded };
  }
}

let parsedJobsInterface: Interface | undefined;

/**
 * FLAIComputeJobs' ABI parsed once per process: a Contract given the raw ABI parses it again (~0.7 ms),
 * and a client binds one for every enclave-key check, i.e. every update it seals.
 */
function jobsInterface(): Interface {
  parsedJobsInterface ??= memoInterface(loadFlaiArtifact("FLAIComputeJobs").abi);
  return parsedJobsInterface;
}

/** The spec parses and the data trains under it (the enclave's own checks, run on the plaintext before paying). */
function checkTrainable(data: Pick<Input, "bytes" | "source">, model: Pick<Input, "bytes" | "source">): void {
  const spec = parseModelSpec(model.bytes, model.source);
  trainableData(spec, parseTrainingData(data.bytes, spec, data.source), data.source);
}

function parseJobId(value: bigint | number | string): bigint {
  return parseId(value, "job");
}

function parseAddress(value: string, what: string): string {
  try {
    return getAddress(value);
  } catch {
    // An excerpt: a private key pasted where the address belongs is masked, never echoed (issue 15).
    throw flaiError(`${what} must be a 0x address (20 bytes hex), got ${excerpt(value)}.`);
  }
}

/** A registration this close to its expiry is renewed by registerEnclave (a job may take that long). */
const RENEW_BEFORE_EXPIRY_SECONDS = 24 * 3600;

/** The chain's clock (latest block), which is what the contract compares expiry and deadlines with. */
async function chainTime(connection: FlaiConnection): Promise<number> {
  const latest = await connection.ethers.provider.getBlock("latest");
  return latest?.timestamp ?? Math.floor(Date.now() / 1000);
}

function assertPinnedAuthority(report: EnclaveReport, pinned: string, contract: string): void {
  if (getAddress(report.authority) !== pinned) {
    throw flaiError(
      `FLAIComputeJobs ${contract} trusts attestation authority ${pinned}, but this machine's enclave report is signed by ` +
        `${report.authority}. Register with a report from ${pinned}, or deploy with this machine's authority ` +
        `(the Ignition parameter FLAIComputeJobs.attestationAuthority).`,
    );
  }
}

/**
 * A result signed for other inputs, another submitter or deadline (another job with this id: a node
 * restart, another deployment) would revert as an unaccepted signer; say what differs instead.
 */
function assertResultIsForJob(result: TrainingResult, job: JobView): void {
  const differs: string[] = [];
  if (result.dataRoot.toLowerCase() !== job.dataRoot.toLowerCase())
    differs.push(`data root ${result.dataRoot} (the job's: ${job.dataRoot})`);
  if (result.modelRoot.toLowerCase() !== job.modelRoot.toLowerCase())
    differs.push(`model root ${result.modelRoot} (the job's: ${job.modelRoot})`);
  if (getAddress(result.submitter) !== getAddress(job.submitter))
    differs.push(`submitter ${result.submitter} (the job's: ${job.submitter})`);
  if (result.deadline !== job.deadline) differs.push(`deadline ${result.deadline} (the job's: ${job.deadline})`);
  if (differs.length > 0) {
    throw flaiError(
      `This result was computed for another job ${result.jobId}: its ${differs.join(", ")}. ` +
        `It may come from before a node restart or from another deployment. Train job ${job.id} again: npx hardhat flai:train --job ${job.id}`,
    );
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
      return (
        `the result is signed by ${a[0]}, which is not a registered enclave (unexpired, with an accepted measurement; run ` +
        `flai:enclave --register) — or the signature is over other job fields (inputs, submitter, deadline) than this job's, so it recovers a stranger.`
      );
    case "NotAttestedByAuthority":
      return `the enclave report is signed by ${a[0]}, not by the attestation authority ${a[1]} this contract pins.`;
    case "MeasurementNotAccepted":
      return `the measurement ${a[0]} is not accepted by the owner (the owner runs flai:enclave --register).`;
    case "ReportExpired":
      return `the enclave report expired at ${new Date(Number(a[0]) * 1000).toISOString()}; get a fresh one.`;
    case "ReportFromFuture":
      return `the enclave report is issued at ${new Date(Number(a[0]) * 1000).toISOString()}, ahead of the chain's clock.`;
    case "StaleReport":
      return `the enclave report (issued ${a[0]}) is not newer than the enclave's current registration (issued ${a[1]}).`;
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

/** FLAIComputeJobs.submitJob takes the deadline as a uint40 (it shares a storage slot with the submitter and reward). */
const MAX_DEADLINE = MAX_JOB_DEADLINE;

/**
 * The deadline `seconds` after `now`, refused before sending when it does not fit the contract's uint40:
 * ethers would fail to encode it, and that error read as a failed RPC call (issue 15).
 */
function assertDeadlineFits(now: bigint, seconds: number, source: string): bigint {
  const deadline = now + BigInt(seconds);
  if (deadline > MAX_DEADLINE) {
    throw flaiError(
      `${source} is ${seconds} seconds, which puts the deadline beyond what FLAIComputeJobs stores (a uint40 timestamp, ` +
        `at most ${MAX_DEADLINE}): give at most ${MAX_DEADLINE - now} seconds from now (e.g. 86400 for a day).`,
    );
  }
  return deadline;
}
