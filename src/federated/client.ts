import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/types";

import { randomBytes } from "node:crypto";

import { Contract, getAddress, getBytes, Interface, ZeroHash, type ContractRunner, type EventLog } from "ethers";

import { parse0G } from "../chain/amount.js";
import type { FlaiConfig } from "../config.js";
import { firstSigner, useConnection, useReadConnection, type FlaiConnection } from "../chain/connection.js";
import { MAX_CLIENTS, MAX_QUORUM, MAX_ROUND_DURATION_SECONDS, MAX_ROUNDS } from "../limits.js";
import { followStateDir } from "../paths.js";
import { flaiError } from "../errors.js";
import { parseId, parseRound } from "../chain/ids.js";
import { readInput, readLocalFile } from "../inputs.js";
import { loadFlaiArtifact } from "../chain/artifact.js";
import { compactSignature } from "../tee/job-result-signature.js";
import type { FlaiJobs } from "../jobs/client.js";
import { resolveDeployment, type Deployment, type DeploymentRole } from "../chain/deployment.js";
import type { ConnectionOption } from "../chain/connection.js";
import { validateFeatureCount, type Dataset } from "../ml/dataset.js";
import { computeStandardization, type Standardization } from "../ml/logistic.js";
import { parseModelSpec, parseTrainingData, type ModelSpec } from "../ml/model.js";
import { BINARY_CLASSES, outputsFor, weightsFromJson, weightsToJson, type ClassLabel } from "../ml/parameters.js";
import type { StorageBackend } from "../storage/types.js";
import { devAuthorityAddress } from "../tee/attestation.js";
import type { TeeSim } from "../tee/enclave.js";
import { movableBuffers, prewarmWorker, refusalCodeOf, refusalDetailOf, runWorker } from "../tee/run-worker.js";
import { sendTx } from "../chain/tx.js";
import { eventsNamed } from "../chain/events.js";
import {
  readRoundStruct,
  readTaskStruct,
  readUpdateStruct,
  rewardClaimed,
  roundFinalized,
  taskCancelled,
  taskCreated,
  updateRecorded,
} from "../chain/federated-reads.js";
import { memoInterface } from "../util/memo-interface.js";

import { EVALUATION_NEEDED, type AggregateRequest, type AggregateResponse, type RecordedUpdate } from "./aggregator.js";
import type { RoundCloseResponse } from "./round-close.js";
import { buildCommitment, CommitmentCache, type Commitment } from "./commitment.js";
import { readRoundReport } from "./round-report.js";
import { sealUpdate } from "./envelope.js";
import { explainFederatedRevert } from "./explain.js";
import { followAggregator, type FollowAggregatorOptions, type FollowAggregatorResult } from "./follow-aggregator.js";
import { followClient, type FollowClientOptions, type FollowClientResult } from "./follow-client.js";
import { defaultModelFormat, globalModelBytes, MODEL_FORMATS, parseGlobalModel, taskNonce, type GlobalModel } from "./global-model.js";
import { readTaskData } from "./classes.js";
import { DEFAULT_LOCAL_ITERATIONS, trainClientUpdate } from "./local-training.js";
import { decodeMetricsWord } from "./metrics-word.js";
import { resolveDriftCorrection } from "./drift-correction.js";
import { resolveDeprecatedKeys, warnDeprecatedKeys } from "./deprecated-keys.js";
import { resolveRules } from "./round-rules.js";
import { effectiveNow, isFailed, roundPhase, type RoundPhase } from "./round-state.js";
import { checkConfig, MIN_ROBUST_UPDATES, type StrategyConfig } from "./strategies.js";
import type {
  AdmitOptions,
  AdmittedReaders,
  ReadGlobalModel,
  ReadModelOptions,
  AggregatedRound,
  AggregateOptions,
  CancelledTask,
  CancelOptions,
  ClaimAllOptions,
  Claimed,
  ClaimedAll,
  ClaimOptions,
  ClientRoundOptions,
  ClientRoundResult,
  CreatedTask,
  CreateTaskOptions,
  FederatedTaskView,
  RecordedUpdateView,
  RoundView,
  SealedUpdate,
  TaskStatus,
} from "./types.js";
import { encodeUpdateParts, type ClientUpdate } from "./update.js";
import { sha256Hex } from "../util/sha256.js";
import { isSealedArtifact } from "../privacy/artifact.js";
import type { ReaderIdentity } from "../privacy/keyring.js";
import { readerKeyOf } from "../privacy/reader-registry.js";
import { identityOf, unsealSecrets } from "../tee/identity.js";

import {
  distinctReaders,
  ensureSignerReaderKey,
  openStoredModel,
  publishKeyring,
  readerOfSigner,
  readersOf,
  readKeyrings,
  taskKeyOrRefuse,
} from "./task-access.js";
import { sealTaskEvaluation, sealTaskModel, type TaskContext } from "./task-models.js";

const STATUS: Record<number, TaskStatus | undefined> = { 1: "active", 2: "finished", 3: "cancelled" };
/** maxClients is a uint16 on-chain; the default (its largest) leaves rounds to close by the aggregator or the deadline. */
const MAX_CLIENTS_LIMIT = MAX_CLIENTS;
/** More than the gas a recordUpdate's closing path (the _CLOSED bit and the RoundClosed event) adds. */
const RECORD_CLOSE_GAS = 20_000n;
const now = () => performance.now();

/** `hre.flai.federated`: federated tasks and rounds on FLAIFederated, aggregated inside teeSim. */
/** The test set's bytes: a file or a root (read), or bytes given (the simulation's: never stored in plaintext first). */
/**
 * A private task stores its own sealed copy of the test set, but bytes given by a plaintext root stay
 * readable there: say so once (createTask has no ui of its own; stderr, as for deprecated keys).
 */
function warnIfPlaintextRoot(input: { bytes: Uint8Array; root?: string }): void {
  if (input.root === undefined || isSealedArtifact(input.bytes)) return;
  console.warn(
    `Warning: --test ${input.root} is stored in plaintext at that root, where anyone can read it; the task stores its own ` +
      `sealed copy. To keep a private task's test set private, pass the file instead of a root.`,
  );
}

/** A federated task cannot impute: the means would come from the evaluation set, which must not shape training. */
function refuseImpute(spec: { impute?: unknown }, source: string): void {
  if (spec.impute === undefined) return;
  throw flaiError(
    `${source}: a federated task cannot use "impute": "mean": the means would come from the evaluation set, ` +
      `which must not shape training. Fill or drop missing cells in every party's data, and remove "impute".`,
  );
}

async function evaluationInput(
  value: string | Uint8Array,
  storage: StorageBackend,
): Promise<{ bytes: Uint8Array; source: string; root?: string }> {
  return typeof value === "string" ? readInput(value, "--test", storage) : { bytes: value, source: "the test set (bytes)" };
}

/**
 * Tasks (chain/contract/task id) whose evaluation set this process has handed an enclave worker, per
 * connection: the next round sends null and the worker uses its own parse, verified against the root
 * the round's model commits. Only a hint: a worker without that parse refuses and gets the bytes. Kept
 * per connection because two in-process chains have the same chain id, contract addresses and task ids:
 * a set of strings alone took one chain's task for another's and cost a refused call and a re-read.
 */
const evaluationsHanded = new WeakMap<object, Set<string>>();

function handedFor(connection: object): Set<string> {
  let handed = evaluationsHanded.get(connection);
  if (handed === undefined) evaluationsHanded.set(connection, (handed = new Set()));
  return handed;
}

export class FlaiFederated {
  readonly #hre: HardhatRuntimeEnvironment;
  readonly #config: FlaiConfig;
  readonly #storage: StorageBackend;
  readonly #tee: TeeSim;
  readonly #jobs: FlaiJobs;
  /** Round commitments already checked against their on-chain root, by that root (claims reuse them). */
  readonly #commitments = new CommitmentCache();
  readonly #rebuilding = new Map<string, Promise<Commitment>>();

  constructor(hre: HardhatRuntimeEnvironment, deps: { config: FlaiConfig; storage: StorageBackend; teeSim: TeeSim; jobs: FlaiJobs }) {
    this.#hre = hre;
    this.#config = deps.config;
    this.#storage = deps.storage;
    this.#tee = deps.teeSim;
    this.#jobs = deps.jobs;
  }

  /** Puts a federated task on-chain: the initial global model (with the task's rules) and the reward pool. */
  async createTask(opts: CreateTaskOptions): Promise<CreatedTask> {
    const { pool, maxClients, roundDuration, strategy, rules, driftCorrection, expectedNumExamples, local, deprecated } = checkTaskOptions(
      opts,
      this.#config.jobs.deadlineSeconds,
    );
    warnDeprecatedKeys(deprecated);
    const specInput = await readInput(opts.model, "--model", this.#storage);
    const spec = parseModelSpec(specInput.bytes, specInput.source);
    const evalInput = await evaluationInput(opts.evaluation, this.#storage);
    refuseImpute(spec, specInput.source);
    // Read with the spec's classes and columns (label, ignore): a label outside "classes" is named here.
    const evaluation = parseTrainingData(evalInput.bytes, spec, evalInput.source);
    validateFeatureCount(evaluation, spec.features, evalInput.source);
    // The task's classes: the spec's, else the evaluation set's (it should hold every class).
    const classes = spec.classes ?? evaluation.classes;
    // Every client must share one feature scaling, or their weights live in different spaces: it
    // is fixed here and committed with the initial model. Read before anything is paid or uploaded.
    const { scaling, standardization } = await this.#taskStandardization(spec, opts.standardizeOn, specInput.source);

    const { connection, deployment, contract, signer } = await this.#bound(opts.connection, "deployer");
    const measurement = await this.#tee.measurement();
    // The task is bound to this enclave: only it can close and finalize rounds, and clients encrypt
    // to the key the registry holds for it.
    const enclave = await this.#taskEnclave(opts.enclave, measurement, connection);
    // Private (the default): every reader is known and keyed before anything is paid or uploaded.
    const privacy =
      opts.public === true ? undefined : await this.#creationReaders(connection, deployment, signer, enclave, opts.clients ?? []);
    const ctx0 = { chainId: deployment.chainId, contract: deployment.federated, taskId: 0n };
    const evaluationRoot = await this.#storeEvaluation(evalInput, privacy?.taskKey, ctx0);
    const start = weightsToJson(...initialParameters(spec, classes, specInput.source));
    const modelFormat = opts.modelFormat ?? defaultModelFormat(outputsFor(classes.length) * (spec.features + 1));
    const initial: GlobalModel = {
      format: "flai-global-model/v1",
      algorithm: "logistic-regression",
      features: spec.features,
      // 0/1 tasks keep the model bytes they always had (no "classes"); every other task names them.
      ...(spec.classes !== undefined || !isBinaryDefault(classes) ? { classes: [...classes] } : {}),
      ...(evaluation.schema !== undefined ? { schema: { ...evaluation.schema, impute: null } } : {}),
      weights: start.weights,
      bias: start.bias,
      standardization,
      round: 0,
      federated: {
        strategy,
        local: {
          maxIterations: local?.maxIterations ?? DEFAULT_LOCAL_ITERATIONS,
          c: spec.hyperparameters.c,
          // The stored model keeps the key "mu" (its bytes and hashes are the task's commitment).
          mu: local?.proximalMu ?? (strategy.name === "fedprox" ? 0.01 : 0),
          ...(expectedNumExamples !== undefined ? { expectedNumExamples } : {}),
          ...(driftCorrection !== undefined ? { driftCorrection } : {}),
        },
        evaluationRoot,
        rules,
        nonce: taskNonce(),
        // JSON tasks carry no modelFormat and public ones no "sealed", so their models' bytes are what they always were;
        // "sealed" is inside the hashed model, so a private model's plaintext can never stand in for a public task's.
        ...(modelFormat === "binary" ? { modelFormat } : {}),
        ...(privacy !== undefined ? { sealed: true as const } : {}),
      },
      previousHash: null,
      metrics: null,
    };
    const bytes = globalModelBytes(initial);
    // On-chain: the root of what is stored (sealed when private) and the hash of the plaintext.
    const stored = await this.#storage.upload(privacy === undefined ? bytes : sealTaskModel(bytes, privacy.taskKey, ctx0, 0));
    const receipt = await this.#send(
      contract,
      "createTask",
      [stored.root, sha256Hex(bytes), opts.rounds, opts.quorum, maxClients, roundDuration, measurement, enclave],
      pool,
    );
    const created = eventIn(contract, receipt, "TaskCreated");
    const taskId = taskCreated(created).taskId;
    const keyring =
      privacy === undefined ? undefined : await this.#firstKeyring(contract, { ...privacy, ctx: { ...ctx0, taskId } }, signer);
    const task = await this.#readTask(contract, deployment, connection, taskId);
    return {
      task,
      txHash: receipt.hash,
      gasUsed: receipt.gasUsed,
      initialModelRoot: stored.root,
      evaluationRoot,
      scaling,
      private: privacy !== undefined,
      admitted: privacy?.readers.map((r) => r.address) ?? [],
      ...(keyring === undefined ? {} : { keyringRoot: keyring.keyringRoot }),
    };
  }

  /**
   * Uploads the task's test set; its root goes in the model's rules. A private task's is sealed with
   * the task key (the enclave opens it with the key that opens the task's models), a public one's is
   * the plaintext.
   */
  async #storeEvaluation(
    input: { bytes: Uint8Array; root?: string },
    taskKey: Uint8Array | undefined,
    ctx: Omit<TaskContext, "taskId">,
  ): Promise<string> {
    if (taskKey !== undefined) warnIfPlaintextRoot(input);
    return (await this.#storage.upload(taskKey === undefined ? input.bytes : sealTaskEvaluation(input.bytes, taskKey, ctx))).root;
  }

  /** A new private task's keyring (its readers at creation), published right after createTask. */
  async #firstKeyring(contract: Contract, args: Parameters<typeof publishKeyring>[2], signer: HardhatEthersSigner) {
    try {
      return await publishKeyring(contract, this.#storage, args, signer);
    } catch (error) {
      throw flaiError(
        `Task ${args.ctx.taskId} was created, but its keyring was not published, so nobody can read its encrypted models yet: ` +
          `${(error as Error).message}`,
        error,
      );
    }
  }

  /**
   * A private task's readers at creation: its enclave (its attested encryption key), the creator and
   * the named clients (their registered reader keys; one without is refused here, before anything is
   * paid), and a fresh task key. The creator's own reader key is registered on the way.
   */
  async #creationReaders(
    connection: FlaiConnection,
    deployment: Deployment,
    signer: HardhatEthersSigner,
    enclave: string,
    clients: readonly string[],
  ) {
    const named = clients.map((c) => parseClientAddress(c));
    const [clientReaders, creator, enclaveKey] = await Promise.all([
      readersOf(connection, deployment.address, named),
      readerOfSigner(connection, signer),
      this.#jobs.enclaveKey(enclave, { connection }),
    ]);
    await ensureSignerReaderKey(connection, deployment.address, signer, creator);
    const readers = distinctReaders([
      { address: enclave, readerKey: enclaveKey.encryptionKey },
      { address: creator.address, readerKey: creator.publicKey },
      ...clientReaders,
    ]);
    return { creator, readers, taskKey: new Uint8Array(randomBytes(32)) };
  }

  /**
   * Admits more readers to a private task's models (`flai:fl-admit`): the creator unwraps the task key
   * from its own keyring entry and publishes a keyring for `clients`. A reader admitted in any round
   * reads every model of the task (one key per task: no rotation).
   */
  async admit(opts: AdmitOptions): Promise<AdmittedReaders> {
    const { connection, deployment, contract, signer } = await this.#bound(opts.connection, "participant", opts.signer);
    const caller = getAddress(await signer.getAddress());
    const task = await this.#readTask(contract, deployment, connection, parseId(opts.taskId, "task"));
    if (caller !== getAddress(task.creator)) {
      throw flaiError(
        `Only task ${task.id}'s creator ${getAddress(task.creator)} can admit readers to its models, not ${caller}. ` +
          `Run flai:fl-admit with the creator's account.`,
        undefined,
        { code: "not-creator" },
      );
    }
    if (task.status === "cancelled") throw flaiError(`Federated task ${task.id} was cancelled by its creator; it admits no more readers.`);
    const named = opts.clients.map((c) => parseClientAddress(c));
    if (named.length === 0) throw flaiError(`flai:fl-admit needs --clients 0xA,0xB: the accounts to admit to task ${task.id}'s models.`);
    const ctx = taskContext(task);
    const keyrings = await readKeyrings(contract, this.#storage, task.id);
    if (keyrings.length === 0) await this.#refusePublic(task);
    const creator = await readerOfSigner(connection, signer);
    const [taskKey] = taskKeyOrRefuse(keyrings, creator, ctx);
    const readers = await readersOf(connection, deployment.address, named);
    const published = await publishKeyring(contract, this.#storage, { ctx, creator, taskKey: taskKey!, readers }, signer);
    return { taskId: task.id, admitted: distinctReaders(readers).map((r) => r.address), ...published };
  }

  /** A task without keyrings: public (nothing to admit) unless its model is sealed (fl-create stopped before its keyring). */
  async #refusePublic(task: FederatedTaskView): Promise<never> {
    const stored = await this.#storage.read(task.globalRoot);
    if (isSealedArtifact(stored)) {
      throw flaiError(
        `Task ${task.id}'s models are encrypted but it has no keyring: flai:fl-create stopped before publishing it, so the task key ` +
          `is lost and nobody can read its models. Create the task again.`,
      );
    }
    throw flaiError(
      `Task ${task.id} is public: its models are stored in plaintext and anyone can read them, so there is nothing to admit. ` +
        `Create a private task (flai:fl-create without --public) to choose its readers.`,
      undefined,
      { code: "public-task" },
    );
  }

  /**
   * A task's model (`flai:fl-model`): the current global model, or round `round`'s (0: the initial
   * one), read by root, opened with the reader's task key when private, checked against the on-chain hash.
   */
  async readGlobalModel(taskId: bigint | number | string, opts: ReadModelOptions = {}): Promise<ReadGlobalModel> {
    const { connection, deployment, contract } = await this.#reader(opts.connection);
    const task = await this.#readTask(contract, deployment, connection, parseId(taskId, "task"));
    const at = await this.#modelAt(contract, task, opts.round);
    const reader = () => (opts.asEnclave === true ? this.#enclaveReader() : this.#accountReader(connection, opts.account ?? 0));
    const opened = await this.#openModel(task, at, connection, reader);
    const model = parseGlobalModel(opened.plaintext, `global model ${at.root}`);
    return { taskId: task.id, ...at, private: opened.sealed, bytes: opened.plaintext, model };
  }

  /** Where the model of `round` is (root, on-chain hash): TaskCreated for 0, RoundFinalized after; default the current one. */
  async #modelAt(
    contract: Contract,
    task: FederatedTaskView,
    round: number | undefined,
  ): Promise<{ round: number; root: string; hash: string }> {
    const current = currentModelRound(task);
    if (round === undefined || round === current) return { round: current, root: task.globalRoot, hash: task.globalHash };
    if (!Number.isInteger(round) || round < 0 || round > current) {
      throw flaiError(
        `Task ${task.id} has global models for rounds 0..${current} (0 is the initial model); there is no round ${round} model yet.`,
      );
    }
    if (round === 0) {
      const [log] = eventsNamed(contract, await contract.queryFilter(contract.getEvent("TaskCreated")(task.id)), "TaskCreated");
      if (log === undefined) throw flaiError(`The node returns no TaskCreated event for task ${task.id}; try again later.`);
      const created = taskCreated(log);
      return { round, root: created.initialModelRoot, hash: created.initialModelHash };
    }
    const logs = eventsNamed(contract, await contract.queryFilter(contract.getEvent("RoundFinalized")(task.id, round)), "RoundFinalized");
    if (logs[0] === undefined)
      throw flaiError(`The node returns no RoundFinalized event for round ${round} of task ${task.id}; try again later.`);
    const { result } = roundFinalized(logs[0]);
    return { round, root: result.globalRoot, hash: result.globalHash };
  }

  /**
   * The stored model at `at`, opened: plaintext (public task) checked against the hash, or sealed bytes
   * opened with the task key `reader()`'s keyring entry gives (asked only for a sealed model).
   */
  async #openModel(
    task: FederatedTaskView,
    at: { round: number; root: string; hash: string },
    connection: FlaiConnection,
    reader: () => Promise<ReaderIdentity>,
  ): Promise<{ plaintext: Uint8Array; sealed: boolean }> {
    const stored = await this.#storage.read(at.root);
    const ctx = taskContext(task);
    const keys = isSealedArtifact(stored) ? await this.#taskKeys(connection, ctx, await reader()) : [];
    const what = at.round === 0 ? "initial model" : `round ${at.round} global model`;
    return openStoredModel(stored, () => keys, ctx, at.round, at.hash, `task ${task.id}'s ${what} ${at.root}`);
  }

  /** The task keys `me` gets from the task's keyrings (kept per connection once found: a task's key never changes). */
  async #taskKeys(connection: FlaiConnection, ctx: TaskContext, me: ReaderIdentity): Promise<Uint8Array[]> {
    let known = taskKeysKnown.get(connection);
    if (known === undefined) taskKeysKnown.set(connection, (known = new Map()));
    const key = `${ctx.contract}/${ctx.taskId}/${me.address}/${me.publicKey}`;
    const cached = known.get(key);
    if (cached !== undefined) return cached;
    const { contract } = await this.#reader(connection);
    const keys = taskKeyOrRefuse(await readKeyrings(contract, this.#storage, ctx.taskId), me, ctx);
    known.set(key, keys);
    return keys;
  }

  #accountReader(connection: FlaiConnection, account: number): Promise<ReaderIdentity> {
    return readerKeyOf(connection, account);
  }

  /** This machine's enclave as a reader (its keyring entry): its signer and attested X25519 key. */
  async #enclaveReader(): Promise<ReaderIdentity> {
    const secrets = await unsealSecrets(this.#tee.dir);
    const { signer, encryptionKey } = identityOf(secrets);
    return { address: signer, secret: getBytes(secrets.encryptionSecret), publicKey: encryptionKey.toLowerCase() };
  }

  /**
   * Registers a client's reader key once per process and connection (only sent when the chain holds
   * another), and keeps the pair: later rounds derive and read nothing (no eth_accounts, no eth_call).
   */
  async #registerReader(connection: FlaiConnection, deployment: Deployment, signer: HardhatEthersSigner): Promise<ReaderIdentity> {
    let known = readersRegistered.get(connection);
    if (known === undefined) readersRegistered.set(connection, (known = new Map()));
    const key = `${deployment.address}/${getAddress(await signer.getAddress())}`;
    let me = known.get(key);
    if (me === undefined) {
      me = await readerOfSigner(connection, signer);
      await ensureSignerReaderKey(connection, deployment.address, signer, me);
      known.set(key, me);
    }
    return me;
  }

  /** A client's reader key, registered (see #registerReader): `flai:reader-key --register` and every client round. */
  async registerReaderKey(opts: ConnectionOption & { signer?: HardhatEthersSigner } = {}): Promise<{ account: string; readerKey: string }> {
    const { connection, deployment, signer } = await this.#bound(opts.connection, "participant", opts.signer);
    const me = await this.#registerReader(connection, deployment, signer);
    return { account: me.address, readerKey: me.publicKey };
  }

  /**
   * The task's shared feature scaling and where it came from: none, the spec's, or fit on the
   * training sample the creator names. Never fit on the evaluation set: its statistics would shape
   * training, and the scores the enclave computes on it would no longer be held out.
   */
  async #taskStandardization(
    spec: ModelSpec,
    given: CreateTaskOptions["standardizeOn"],
    specSource: string,
  ): Promise<{ scaling: CreatedTask["scaling"]; standardization: Standardization | null }> {
    if (!spec.hyperparameters.standardize) return { scaling: "none", standardization: null };
    if (spec.standardization !== undefined) return { scaling: "spec", standardization: spec.standardization };
    if (given === undefined) {
      throw flaiError(
        `${specSource} asks to standardize the features ("hyperparameters.standardize" is true or left out) but gives no ` +
          `"standardization", and no training sample was named to fit it on. The scaling is not fit on the evaluation (--test) set: ` +
          `that would leak the test data's statistics into training. Name a sample of the training data with ` +
          `--standardize-on <file> (standardizeOn in the API), or set "standardize": false or a "standardization" in the spec.`,
      );
    }
    return { scaling: "sample", standardization: computeStandardization(await this.#standardizationSample(given, spec)) };
  }

  /** The training sample the creator names for the task's feature scaling (`--standardize-on`), read like the task's data. */
  async #standardizationSample(given: NonNullable<CreateTaskOptions["standardizeOn"]>, spec: ModelSpec): Promise<Dataset> {
    if (typeof given !== "string") {
      validateFeatureCount(given, spec.features, "the standardization sample");
      return given;
    }
    const input = await readInput(given, "--standardize-on", this.#storage);
    // Read like the task's data (label column, ignored columns), so the same columns are scaled.
    const sample = parseTrainingData(input.bytes, spec, input.source);
    validateFeatureCount(sample, spec.features, input.source);
    return sample;
  }

  /**
   * The enclave a new task names: `named` (another machine's, already registered there for this
   * version's measurement: checked on the chain now, since createTask would revert) or this machine's,
   * registered on the way.
   */
  async #taskEnclave(named: string | undefined, measurement: string, connection: FlaiConnection): Promise<string> {
    if (named === undefined) {
      const { signer } = await this.#jobs.registerEnclave({ connection }).catch((error: unknown) => {
        throw flaiError(`The task's enclave must be registered first: ${(error as Error).message}`, error);
      });
      return signer;
    }
    try {
      return (await this.#jobs.enclaveKey(named, { measurement, connection })).signer;
    } catch (error) {
      throw flaiError(
        // The reason already says how its operator fixes it; this adds only what this task needs of it.
        `--enclave ${named} cannot be the task's enclave: ${(error as Error).message} ` +
          `The task needs an enclave running this hardhat-flai version (measurement ${measurement}).`,
        error,
      );
    }
  }

  /** One client's round: fetch the global model, train locally, encrypt to the enclave, upload, record. */
  async runClient(opts: ClientRoundOptions): Promise<ClientRoundResult> {
    const ctx = await this.#clientContext(opts);
    const sealed = await this.#trainAndSeal(ctx, opts.data);
    const submitted = await this.#submit(ctx, sealed.ciphertext, sealed.numExamples);
    return { ...submitted, local: sealed.local, timings: { ...sealed.timings, ...submitted.timings } };
  }

  /**
   * The first half of runClient: trains on the current global model and seals the update to the
   * task's enclave, without uploading or recording it. A follower keeps these bytes until they are
   * recorded, so a restart re-uploads the same bytes (the storage already holds them: nothing is paid
   * twice) instead of sealing new ones.
   */
  async prepareUpdate(opts: ClientRoundOptions): Promise<SealedUpdate> {
    const ctx = await this.#clientContext(opts);
    const sealed = await this.#trainAndSeal(ctx, opts.data);
    return { taskId: ctx.task.id, round: ctx.round, client: ctx.client, ...sealed };
  }

  async #trainAndSeal(
    ctx: {
      connection: FlaiConnection;
      deployment: Deployment;
      task: FederatedTaskView;
      round: number;
      client: string;
      signer: HardhatEthersSigner;
    },
    input: ClientRoundOptions["data"],
  ) {
    // The enclave's key is checked on-chain while the client trains (the same check, made as training
    // starts instead of after it): its reads wait on the chain, the training on the CPU, so neither
    // waits for the other (two round trips per update saved on a remote chain). Awaited after training,
    // so a training error is reported first, as before; until then its rejection is held, not unhandled.
    const checkedKey = this.#enclaveKey(ctx);
    checkedKey.catch(() => undefined);
    let t = now();
    // Trained in a call of its own: once it returns, no frame here holds the dataset, the global model
    // or the training's buffers while the update is sealed (the peak of a wide client's memory).
    const update = await this.#train(ctx, input);
    const train = now() - t;

    t = now();
    const encryptionKey = await checkedKey;
    const binding = {
      chainId: ctx.deployment.chainId,
      contract: ctx.deployment.federated,
      taskId: ctx.task.id,
      round: ctx.round,
      client: ctx.client,
    };
    // Sealed from the update's parts (its arrays viewed in place), not from one plaintext copy of them.
    const ciphertext = sealUpdate(encodeUpdateParts(update), encryptionKey, binding);
    return { ciphertext, numExamples: update.numExamples, local: update.metrics, timings: { train, encrypt: now() - t } };
  }

  /** The client's update on the current global model (its local training). */
  async #train(
    ctx: { task: FederatedTaskView; client: string; connection: FlaiConnection; deployment: Deployment; signer: HardhatEthersSigner },
    input: ClientRoundOptions["data"],
  ): Promise<ClientUpdate> {
    // The client's reader key is registered first, whether or not it is admitted yet: the creator
    // can only admit a client whose key is on-chain (flai:fl-admit). A private task's model is then
    // opened with the task key from its keyring entry (not admitted: a NOT_ADMITTED error saying how).
    const me = await this.#registerReader(ctx.connection, ctx.deployment, ctx.signer);
    const global = await this.#globalModel(ctx.task, ctx.connection, () => Promise.resolve(me));
    // A file is read as the task reads data (its classes and columns); a Dataset is checked the same way.
    const data = typeof input === "string" ? readTaskData(await readLocalFile(input, "--data"), global, input) : input;
    const source = typeof input === "string" ? input : `client ${ctx.client}'s data`;
    return trainClientUpdate(global, ctx.task.globalHash, data, source, { expectedClients: ctx.task.quorum });
  }

  /**
   * Uploads and records an already sealed update as-is (no training, no checks of its content):
   * what a client with its own training code does, and how tests play a faulty or malicious one.
   */
  async submitCiphertext(
    opts: Omit<ClientRoundOptions, "data"> & { ciphertext: Uint8Array; numExamples: number },
  ): Promise<Omit<ClientRoundResult, "local" | "timings">> {
    const { timings: _t, ...rest } = await this.#submit(await this.#clientContext(opts), opts.ciphertext, opts.numExamples);
    return rest;
  }

  /**
   * The X25519 key of the task's enclave, as the chain states it: the registry's key for the signer
   * named at createTask, unexpired, for the task's measurement, and re-verified against the
   * attestation authority the registry pins (FlaiJobs.enclaveKey). Never a machine-local file: a key
   * the chain does not vouch for would hand the update to whoever wrote that file.
   */
  async #enclaveKey(ctx: { connection: FlaiConnection; task: FederatedTaskView }): Promise<string> {
    const { enclave, measurement, id } = ctx.task;
    try {
      return (await this.#jobs.enclaveKey(enclave, { measurement, connection: ctx.connection })).encryptionKey;
    } catch (error) {
      throw flaiError(
        `No update is sealed for task ${id}: its enclave's key is not vouched for on-chain. ${(error as Error).message}`,
        error,
      );
    }
  }

  /** Where a client's update goes this round: checks the task is open to it before any work. */
  async #clientContext(opts: Omit<ClientRoundOptions, "data">) {
    const { connection, deployment, contract, signer } = await this.#bound(opts.connection, "participant", opts.signer);
    const client = getAddress(await signer.getAddress());
    // Reads go through the provider: a signer-bound call first fills in a transaction request (from, checksums) for nothing.
    const reader = federatedContract(deployment, connection.ethers.provider);
    const task = await this.#readTask(reader, deployment, connection, parseId(opts.taskId, "task"));
    assertActive(task);
    const round = task.currentRound;
    if (opts.round !== undefined && opts.round !== round) {
      // An update is sealed to one round: recorded in another, the enclave would reject it.
      throw flaiError(
        `This update is for round ${opts.round} of task ${task.id}, but the current round is ${round}; seal a new update for round ${round}.`,
      );
    }
    // Read together (one wait, not three); checked below in the same order as before.
    const [info, latestBlock, { numExamples: recorded }] = await Promise.all([
      this.#readRound(reader, task.id, round),
      connection.ethers.provider.getBlock("latest"),
      readUpdateStruct(reader, task.id, round, client),
    ]);
    const latest = BigInt(latestBlock?.timestamp ?? 0);
    if (latest > info.deadline) {
      throw flaiError(
        `Round ${round} of task ${task.id} closed for updates at ${isoTime(info.deadline)}; wait for the aggregator to finalize it ` +
          `(it has ${info.updateCount} of the ${task.quorum} updates it needs), or ask the creator to cancel the task.`,
      );
    }
    if (info.closed) {
      throw flaiError(
        `Round ${round} of task ${task.id} is closed: its ${info.updateCount} updates are frozen ` +
          (info.updateCount >= info.maxClients
            ? `(the task's maximum of ${info.maxClients} clients per round)`
            : "(the aggregator closed it once the quorum was met)") +
          `. Join round ${round + 1} once it opens.`,
      );
    }
    if (recorded > 0n) {
      throw flaiError(`${client} already recorded an update for round ${round} of task ${task.id}; one update per client per round.`);
    }
    return { connection, deployment, contract, signer, client, task, round };
  }

  async #submit(
    ctx: { contract: Contract; signer: HardhatEthersSigner; client: string; task: FederatedTaskView; round: number },
    ciphertext: Uint8Array,
    numExamples: number,
  ) {
    let t = now();
    // The client pays for its own upload (0G storage), like for its recordUpdate.
    const stored = await this.#storage.upload(ciphertext, { payer: ctx.signer });
    const upload = now() - t;
    t = now();
    const updateHash = sha256Hex(ciphertext);
    // Headroom: another client's update mined first can make this one the round's closing update.
    const receipt = await sendTx(
      ctx.contract,
      "FLAIFederated",
      "recordUpdate",
      [ctx.task.id, ctx.round, stored.root, updateHash, numExamples],
      {
        explain: explainFederatedRevert,
        gasHeadroom: RECORD_CLOSE_GAS,
      },
    );
    return {
      taskId: ctx.task.id,
      round: ctx.round,
      client: ctx.client,
      updateRoot: stored.root,
      updateHash,
      numExamples,
      txHash: receipt.hash,
      gasUsed: receipt.gasUsed,
      timings: { upload, chain: now() - t },
    };
  }

  /**
   * An update the storage still holds but could not be read now (a dropped connection, a node
   * restarting) must not reach the enclave as "unavailable": the enclave commits to the first update
   * set it aggregates, so the round would be finalized without an honest client, or (short of its
   * quorum) never finalized at all. Only an update the storage does not hold is the client's fault.
   */
  async #refuseTransientMiss(round: number, client: string, updateRoot: string, error: unknown): Promise<void> {
    const stored = await this.#storage.has(updateRoot).catch(() => true);
    if (!stored) return;
    throw flaiError(
      `Round ${round}'s update from ${client} (${updateRoot}) is in storage but could not be read now: ${(error as Error).message}\n` +
        `  Nothing was aggregated. Run the aggregation again once storage answers (the update is not rejected for a failed read).`,
      error,
    );
  }

  /**
   * The enclave's aggregation of a round, resumable: a finalized round is never finalized again, and
   * a run interrupted after its uploads recomputes the same bytes (deterministically) and reuses them.
   */
  async aggregate(opts: AggregateOptions): Promise<AggregatedRound> {
    const { connection, deployment, contract, task, round } = await this.#aggregationTarget(opts);
    const info = await this.#frozenRound(contract, deployment, task, round);
    let t = now();
    const inputs = await this.#roundInputs(contract, deployment, connection, task, round);
    const { updates, globalBytes, evaluation } = inputs;
    const fetchBeforeEnclave = now() - t;

    t = now();
    const request: AggregateRequest = {
      enclaveDir: this.#tee.dir,
      binding: { chainId: deployment.chainId.toString(), contract: deployment.federated, taskId: task.id.toString(), round },
      globalModel: globalBytes,
      globalHash: task.globalHash,
      keyrings: inputs.keyrings,
      updatesAccumulator: info.updatesAccumulator,
      updateCount: info.updateCount,
      evaluation,
      updates,
    };
    const { response, refetch } = await this.#runAggregator(request, inputs, `Aggregating round ${round} of task ${task.id}`, connection);
    handedFor(connection).add(inputs.handedKey);
    // A second read of the inputs (the worker needed the evaluation set) counts as fetching, not aggregating.
    const fetch = fetchBeforeEnclave + refetch;
    const aggregateMs = now() - t - refetch;
    assertQuorumAfterRejections(task, round, response, updates.length);

    t = now();
    await this.#uploadRoundArtifacts(response);
    const upload = now() - t;

    t = now();
    const { r, vs } = compactSignature(response.signature);
    const result = { ...response.result, acceptedWeight: BigInt(response.result.acceptedWeight) };
    const receipt = await this.#send(contract, "finalizeRound", [task.id, round, result, r, vs]);
    // From the report: a private task's new model is sealed, and the report carries its metrics.
    const { metrics } = readRoundReport(new Uint8Array(response.report));
    return {
      taskId: task.id,
      round,
      globalRoot: result.globalRoot,
      globalHash: result.globalHash,
      reportRoot: result.reportRoot,
      commitment: result.commitment,
      accepted: response.accepted,
      rejected: response.rejected,
      metrics,
      txHash: receipt.hash,
      gasUsed: receipt.gasUsed,
      timings: { fetch, aggregate: aggregateMs, upload, chain: now() - t },
    };
  }

  /** The task and the round to aggregate: the current round of an active task, none finalized or not yet started. */
  async #aggregationTarget(opts: AggregateOptions) {
    const { connection, deployment, contract } = await this.#bound(opts.connection);
    const task = await this.#readTask(contract, deployment, connection, parseId(opts.taskId, "task"));
    const round = opts.round === undefined ? task.currentRound : parseRound(opts.round);
    if (round < task.currentRound || task.status === "finished") {
      throw flaiError(`Round ${round} of task ${task.id} is already finalized; its global model is ${task.globalRoot}.`);
    }
    assertActive(task);
    if (round > task.currentRound) {
      throw flaiError(`Round ${round} of task ${task.id} has not started; the current round is ${task.currentRound}.`);
    }
    return { connection, deployment, contract, task, round };
  }

  /** The global model, the round's recorded updates and (unless a worker already holds it) the evaluation set. */
  async #roundInputs(
    contract: Contract,
    deployment: Deployment,
    connection: FlaiConnection,
    task: FederatedTaskView,
    round: number,
  ): Promise<RoundInputs> {
    // Unverified reads (verify: false) are safe here and only here: the host is untrusted anyway, and
    // the enclave checks each object itself — every update's SHA-256 against its on-chain record, the
    // model against the on-chain global hash, the evaluation set by re-rooting it against the root
    // that model commits (aggregator.ts). Re-rooting them here too only doubled the work.
    const unverified = { verify: false };
    // The model is read while the chain is asked for the round's updates, and the updates together.
    const modelRead = this.#storage.read(task.globalRoot, unverified);
    modelRead.catch(() => undefined); // awaited below, after the log query, which may fail first
    const logs = this.#recordOrder(
      eventsNamed(contract, await contract.queryFilter(contract.getEvent("UpdateRecorded")(task.id, round)), "UpdateRecorded"),
    );
    const readUpdates = (): Promise<RecordedUpdate[]> =>
      Promise.all(
        logs.map(async (log) => {
          const { client, updateRoot, updateHash, numExamples } = updateRecorded(log);
          const base = { client, updateRoot, updateHash, numExamples: Number(numExamples) };
          try {
            return { ...base, ciphertext: await this.#storage.read(updateRoot, unverified) };
          } catch (error) {
            await this.#refuseTransientMiss(round, client, updateRoot, error);
            return { ...base, ciphertext: null, fetchError: (error as Error).message };
          }
        }),
      );
    const readEvaluation = (root: string) => this.#storage.read(root, unverified);
    // A task's evaluation set never changes between rounds. A worker of this process that was handed
    // it keeps its verified parse: send null and skip the ~20 MB read; a worker without it refuses
    // by code and gets the bytes. When it is sent, it is read as soon as the model is, with the updates.
    const handedKey = `${deployment.chainId}/${deployment.federated}/${task.id}`;
    // The root the model commits; parsed only when the bytes must be sent (the model's JSON is large).
    // A private task's model is sealed: its root is the one a worker named when it asked for the set
    // (kept per connection), or unknown (null: the worker asks, naming it).
    const firstEvaluation = (model: Uint8Array) => {
      if (!isSealedArtifact(model))
        return readEvaluation(parseGlobalModel(model, `global model ${task.globalRoot}`).federated.evaluationRoot);
      const named = evaluationRootsFor(connection).get(handedKey);
      return named === undefined ? null : readEvaluation(named);
    };
    const [updates, globalBytes, evaluation, keyrings] = await Promise.all([
      readUpdates(),
      modelRead,
      handedFor(connection).has(handedKey) ? null : modelRead.then(firstEvaluation),
      readKeyrings(contract, this.#storage, task.id, unverified),
    ]);
    // Null without a hint that a worker holds it: the first call is refused, so its updates are copied, not moved.
    const expectRefusal = evaluation === null && !handedFor(connection).has(handedKey);
    return { updates, globalBytes, keyrings, evaluation, expectRefusal, readUpdates, readEvaluation, handedKey };
  }

  /**
   * Runs the aggregation program in the enclave worker; a worker that refuses for want of the
   * evaluation set gets it on a second call. `refetch`: the ms spent reading inputs again for it.
   */
  async #runAggregator(
    request: AggregateRequest,
    inputs: RoundInputs,
    what: string,
    connection: FlaiConnection,
  ): Promise<{ response: AggregateResponse; refetch: number }> {
    const { evaluation, updates, globalBytes } = inputs;
    const timeoutMs = this.#config.enclave.trainingTimeoutSeconds * 1000;
    try {
      // The worker takes the bytes over (moved, not copied): the host does not hold a second copy of
      // the evaluation set and the updates while the enclave works (bench/e2e/memory.ts). A call that
      // will be refused (a private task's set not known yet) copies them, so the retry need not re-read them.
      const response = await runWorker<AggregateResponse>(
        "../federated/aggregator-worker",
        request,
        timeoutMs,
        what,
        inputs.expectRefusal ? [] : movableBuffers(evaluation, ...updates.map((u) => u.ciphertext)),
      );
      return { response, refetch: 0 };
    } catch (error) {
      if (evaluation !== null || refusalCodeOf(error) !== EVALUATION_NEEDED) throw error;
      const read = now();
      // The worker names the set's root with its refusal (a private task's host cannot read it from the sealed model).
      const root = refusalDetailOf(error) ?? parseGlobalModel(globalBytes, "global model").federated.evaluationRoot;
      evaluationRootsFor(connection).set(inputs.handedKey, root);
      // A moved first call left the updates' bytes detached: read them again with the evaluation set.
      const [bytes, again] = await Promise.all([
        inputs.readEvaluation(root),
        inputs.expectRefusal ? Promise.resolve(updates) : inputs.readUpdates(),
      ]);
      const refetch = now() - read;
      const response = await runWorker<AggregateResponse>(
        "../federated/aggregator-worker",
        { ...request, evaluation: bytes, updates: again },
        timeoutMs,
        what,
        movableBuffers(bytes, ...again.map((u) => u.ciphertext)),
      );
      return { response, refetch };
    }
  }

  /** Uploads the new global model and the round report, refusing roots other than the ones the enclave signed. */
  async #uploadRoundArtifacts(response: AggregateResponse): Promise<void> {
    // One after the other: both are paid by one account, whose transactions must go out in nonce
    // order (in parallel, 0G answered "nonce too low"), and a failure must not race a second upload.
    const model = await this.#storage.upload(new Uint8Array(response.globalModel));
    const report = await this.#storage.upload(new Uint8Array(response.report));
    if (model.root !== response.result.globalRoot || report.root !== response.result.reportRoot) {
      throw flaiError("Storage stored the round's artifacts under other roots than the enclave signed; refusing to finalize.");
    }
  }

  /**
   * The round's update set, frozen: closed by the deadline, at maxClients, or here by the enclave's
   * signed closeRound once the quorum is met. Only a frozen set is aggregated, so no late update can
   * invalidate the finalize that follows.
   */
  async #frozenRound(contract: Contract, deployment: Deployment, task: FederatedTaskView, round: number) {
    let info = await this.#readRound(contract, task.id, round);
    // The enclave worker starts now (a no-op when one is idle), loading first the program it runs first:
    // a worker loads programs one at a time, so a close queued behind the larger aggregation program
    // would wait for it. The aggregation program then loads while closeRound is sent and the round read.
    // Only a round short of its quorum leaves the worker unused, idle and unref'd.
    prewarmWorker(info.closed ? "../federated/aggregator-worker" : "../federated/round-close-worker");
    if (info.updateCount < task.quorum) {
      throw flaiError(
        `Quorum not met for round ${round} of task ${task.id}: ${info.updateCount} of ${task.quorum} updates recorded ` +
          `(the round accepts updates until ${isoTime(info.deadline)}).`,
      );
    }
    if (!info.closed) {
      const request = {
        enclaveDir: this.#tee.dir,
        binding: { chainId: deployment.chainId.toString(), contract: deployment.federated, taskId: task.id.toString(), round },
      };
      const close = await runWorker<RoundCloseResponse>(
        "../federated/round-close-worker",
        request,
        this.#config.enclave.trainingTimeoutSeconds * 1000,
        `Closing round ${round} of task ${task.id}`,
      );
      prewarmWorker("../federated/aggregator-worker");
      const { r, vs } = compactSignature(close.signature);
      try {
        await this.#send(contract, "closeRound", [task.id, round, r, vs]);
      } catch (error) {
        // Closed meanwhile (deadline, maxClients, another aggregator run): frozen either way.
        if (!(await this.#readRound(contract, task.id, round)).closed) throw error;
      }
      info = await this.#readRound(contract, task.id, round);
    }
    return info;
  }

  /** UpdateRecorded logs in record order (block, then position in the block): the accumulator's order. */
  #recordOrder(logs: EventLog[]): EventLog[] {
    return [...logs].sort((a, b) => a.blockNumber - b.blockNumber || a.index - b.index);
  }

  /** A client's pull payment for a finalized round, proven from the round's commitment. */
  async claim(opts: ClaimOptions): Promise<Claimed> {
    const { connection, deployment, contract, signer } = await this.#bound(opts.connection, "participant", opts.signer);
    const client = getAddress(await signer.getAddress());
    const taskId = parseId(opts.taskId, "task");
    const round = parseRound(opts.round);
    const task = await this.#readTask(contract, deployment, connection, taskId);
    if (round > task.rounds) {
      // Not "not finalized yet": such a round never comes (issue 15).
      throw flaiError(
        `Task ${taskId} has only ${task.rounds} round(s), so round ${round} does not exist. Claim a round from 1 to ${task.rounds}, or leave --round out to claim every finalized round.`,
      );
    }
    const finalized = (await this.#rounds(contract, task)).find((r) => r.round === round);
    if (finalized?.reportRoot === undefined) {
      throw flaiError(`Round ${round} of task ${taskId} is not finalized yet; rewards can be claimed once it is.`);
    }
    const leaf = await this.#claimProof(taskId, finalized, client);
    if (leaf === undefined) {
      throw flaiError(`${client} has no accepted update in round ${round} of task ${taskId}, so no reward to claim.`);
    }
    return this.#sendClaim(contract, signer, taskId, round, client, leaf);
  }

  /**
   * Every reward the account is owed in a task, one claim per finalized round it had an accepted
   * update in and has not claimed yet (claims go out one after the other, in round order). Rounds
   * already claimed, or whose update the enclave rejected, are listed as skipped with the reason.
   */
  async claimAll(opts: ClaimAllOptions): Promise<ClaimedAll> {
    const { connection, deployment, contract, signer } = await this.#bound(opts.connection, "participant", opts.signer);
    const client = getAddress(await signer.getAddress());
    const taskId = parseId(opts.taskId, "task");
    const task = await this.#readTask(contract, deployment, connection, taskId);
    const result: ClaimedAll = { taskId, client, claimed: [], skipped: [] };
    const rounds = (await this.#rounds(contract, task)).filter((r) => r.reportRoot !== undefined); // unfinalized: nothing to claim yet
    // This account's record in every finalized round, read together rather than one round trip per round.
    const records = await Promise.all(rounds.map((r) => readUpdateStruct(contract, taskId, r.round, client)));
    for (const [i, round] of rounds.entries()) {
      const { numExamples, claimed } = records[i]!;
      if (numExamples === 0n) continue; // no update from this account in that round
      if (claimed) {
        result.skipped.push({ round: round.round, reason: "already-claimed" });
        continue;
      }
      const leaf = await this.#claimProof(taskId, round, client);
      if (leaf === undefined) {
        result.skipped.push({ round: round.round, reason: "rejected" });
        continue;
      }
      result.claimed.push(await this.#sendClaim(contract, signer, taskId, round.round, client, leaf));
    }
    return result;
  }

  /** The client's leaf and proof in a finalized round's commitment, or undefined when it has none. */
  async #claimProof(taskId: bigint, finalized: RoundView, client: string) {
    const commitment = await this.#roundCommitment(taskId, finalized);
    const index = commitment.leafIndex(client);
    return index === -1 ? undefined : { ...commitment.leaves[index]!, proof: commitment.proof(index) };
  }

  /**
   * A finalized round's commitment: from the cache when this process already rebuilt the tree with
   * the root on-chain (every claim of the round after the first), else rebuilt from the round
   * report and checked against that root before it is kept.
   */
  async #roundCommitment(taskId: bigint, finalized: RoundView): Promise<Commitment> {
    const root = finalized.commitment?.toLowerCase();
    const cached = root === undefined ? undefined : this.#commitments.get(root);
    if (cached !== undefined) return cached;
    // Concurrent claims of one round (a simulation's clients) share one rebuild instead of racing n.
    const pending = root === undefined ? undefined : this.#rebuilding.get(root);
    if (pending !== undefined) return pending;
    const rebuild = this.#rebuildCommitment(taskId, finalized);
    if (root === undefined) return rebuild;
    this.#rebuilding.set(root, rebuild);
    try {
      return await rebuild;
    } finally {
      this.#rebuilding.delete(root);
    }
  }

  /** A round's commitment rebuilt from its report, kept only when its root is the one on-chain. */
  async #rebuildCommitment(taskId: bigint, finalized: RoundView): Promise<Commitment> {
    if (finalized.reportRoot === undefined) {
      throw flaiError(
        `Round ${finalized.round} of task ${taskId} is finalized, but this node does not serve its RoundFinalized event yet ` +
          `(the round report's root is in it). Try again in a few seconds.`,
      );
    }
    const report = readRoundReport(await this.#storage.read(finalized.reportRoot));
    const commitment = buildCommitment(
      report.accepted.map((a) => ({ client: a.client, updateHash: a.updateHash, weight: BigInt(a.weight) })),
    );
    if (finalized.commitment === undefined || !this.#commitments.remember(finalized.commitment, commitment)) {
      throw flaiError(
        `The round report ${finalized.reportRoot} of round ${finalized.round} of task ${taskId} does not match the on-chain commitment ${finalized.commitment}.`,
      );
    }
    return commitment;
  }

  async #sendClaim(
    contract: Contract,
    signer: HardhatEthersSigner,
    taskId: bigint,
    round: number,
    client: string,
    leaf: { updateHash: string; weight: bigint; cumulativeWeightBefore: bigint; proof: string[] },
  ): Promise<Claimed> {
    const receipt = await this.#send(contract.connect(signer) as Contract, "claim", [
      taskId,
      round,
      leaf.updateHash,
      leaf.weight,
      leaf.cumulativeWeightBefore,
      leaf.proof,
    ]);
    const event = eventIn(contract, receipt, "RewardClaimed");
    return { taskId, round, client, amount: rewardClaimed(event).amount, txHash: receipt.hash };
  }

  /**
   * The creator's way out of a task whose current round failed (no quorum by its deadline, or not
   * finalized by deadline + roundDuration): cancels it and refunds the pools of every round not
   * finalized. Checked here first so the creator learns why not, and when, without a reverted transaction.
   */
  async cancel(opts: CancelOptions): Promise<CancelledTask> {
    const { connection, deployment, contract, signer } = await this.#bound(opts.connection, "participant", opts.signer);
    const caller = getAddress(await signer.getAddress());
    const task = await this.#readTask(contract, deployment, connection, parseId(opts.taskId, "task"));
    assertActive(task);
    if (caller !== getAddress(task.creator)) {
      throw flaiError(
        `Only task ${task.id}'s creator ${getAddress(task.creator)} can cancel it, not ${caller}. Run it with the creator's account.`,
      );
    }
    const round = await this.#readRound(contract, task.id, task.currentRound);
    const latest = await connection.ethers.provider.getBlock("latest");
    const phase = roundPhase(round, task.quorum, effectiveNow(latest?.timestamp ?? 0));
    if (!isFailed(phase)) {
      throw flaiError(notCancellable(task, round, phase));
    }
    const receipt = await this.#send(contract.connect(signer) as Contract, "cancelTask", [task.id]);
    const event = taskCancelled(eventIn(contract, receipt, "TaskCancelled"));
    return { taskId: task.id, round: Number(event.round), refund: event.refund, creator: caller, txHash: receipt.hash };
  }

  async task(taskId: bigint | number | string, opts: ConnectionOption = {}): Promise<FederatedTaskView> {
    const { connection, deployment, contract } = await this.#reader(opts.connection);
    return this.#readTask(contract, deployment, connection, parseId(taskId, "task"));
  }

  /**
   * The task and every round so far, with what each finalization published and each round's phase
   * at `now` (the time the next block carries at the earliest: a round past its deadline is closed
   * or failed, never open). Read-only: needs no private key.
   */
  async status(
    taskId: bigint | number | string,
    opts: ConnectionOption = {},
  ): Promise<{ task: FederatedTaskView; rounds: Array<RoundView & { phase: RoundPhase }>; now: bigint }> {
    const { connection, deployment, contract } = await this.#reader(opts.connection);
    const task = await this.#readTask(contract, deployment, connection, parseId(taskId, "task"));
    const latest = await connection.ethers.provider.getBlock("latest");
    const now = effectiveNow(latest?.timestamp ?? 0);
    const rounds = (await this.#rounds(contract, task)).map((r) => ({ ...r, phase: roundPhase(r, task.quorum, now) }));
    return { task, rounds, now };
  }

  /** The current global model, verified against its on-chain root and SHA-256. */
  async globalModel(taskId: bigint | number | string, opts: ReadModelOptions = {}): Promise<GlobalModel> {
    return (await this.readGlobalModel(taskId, opts)).model;
  }

  /** One round of a task as the chain states it now (closed includes a passed deadline). */
  async round(taskId: bigint | number | string, round: number, opts: ConnectionOption = {}): Promise<RoundView> {
    const { contract } = await this.#reader(opts.connection);
    return this.#readRound(contract, parseId(taskId, "task"), parseRound(round));
  }

  /** What `client` recorded in a round: numExamples 0 when nothing, and whether its reward was claimed. */
  async update(
    taskId: bigint | number | string,
    round: number,
    client: string,
    opts: ConnectionOption = {},
  ): Promise<{ numExamples: number; claimed: boolean }> {
    const { contract } = await this.#reader(opts.connection);
    const { numExamples, claimed } = await readUpdateStruct(contract, parseId(taskId, "task"), parseRound(round), getAddress(client));
    return { numExamples: Number(numExamples), claimed };
  }

  /** A round's recorded updates, in record order (the accumulator's order). */
  async recordedUpdates(taskId: bigint | number | string, round: number, opts: ConnectionOption = {}): Promise<RecordedUpdateView[]> {
    const { contract } = await this.#reader(opts.connection);
    const logs = this.#recordOrder(
      eventsNamed(
        contract,
        await contract.queryFilter(contract.getEvent("UpdateRecorded")(parseId(taskId, "task"), parseRound(round))),
        "UpdateRecorded",
      ),
    );
    return logs.map((log) => {
      const { client, updateRoot, updateHash, numExamples } = updateRecorded(log);
      return { client: getAddress(client), updateRoot, updateHash, numExamples: Number(numExamples), blockNumber: log.blockNumber };
    });
  }

  /**
   * Freezes the current round's update set now: the task's enclave signs closeRound (needs the quorum
   * recorded). A round already closed (by its deadline, maxClients or an earlier close) is left as is.
   */
  async closeRound(taskId: bigint | number | string, opts: ConnectionOption = {}): Promise<RoundView> {
    const { connection, deployment, contract } = await this.#bound(opts.connection);
    const task = await this.#readTask(contract, deployment, connection, parseId(taskId, "task"));
    assertActive(task);
    return this.#frozenRound(contract, deployment, task, task.currentRound);
  }

  /** A long-running client (`flai:fl-client --follow`): joins every round it can, claims what it is owed, exits when the task ends. */
  async followClient(opts: FollowClientOptions): Promise<FollowClientResult> {
    const connection = await useConnection(this.#hre, opts.connection);
    return followClient(this, this.#storage, {
      ...opts,
      connection,
      stateDir: opts.stateDir ?? followStateDir(this.#hre.config.paths.root),
    });
  }

  /** A long-running enclave host (`flai:aggregate --follow`): closes and finalizes every round by the close rule, exits when the task ends. */
  async followAggregator(opts: FollowAggregatorOptions): Promise<FollowAggregatorResult> {
    const connection = await useConnection(this.#hre, opts.connection);
    return followAggregator(this, { ...opts, connection });
  }

  /** The task's current global model, opened (a private task's with `reader`'s key) and hash-checked. */
  async #globalModel(task: FederatedTaskView, connection: FlaiConnection, reader: () => Promise<ReaderIdentity>): Promise<GlobalModel> {
    const at = { round: currentModelRound(task), root: task.globalRoot, hash: task.globalHash };
    const opened = await this.#openModel(task, at, connection, reader);
    return parseGlobalModel(opened.plaintext, `global model ${task.globalRoot}`);
  }

  async #rounds(contract: Contract, task: FederatedTaskView): Promise<RoundView[]> {
    const last = task.status === "active" ? task.currentRound : task.rounds;
    const rounds = await Promise.all(Array.from({ length: last }, (_, i) => this.#readRound(contract, task.id, i + 1)));
    // Events are read after the rounds: a round finalized while this ran is then either read as
    // not finalized, or has its event here — never finalized without its result (roots, report).
    const finalized = new Map<number, EventLog>();
    for (const log of eventsNamed(contract, await contract.queryFilter(contract.getEvent("RoundFinalized")(task.id)), "RoundFinalized")) {
      finalized.set(Number(roundFinalized(log).round), log);
    }
    for (const view of rounds) {
      const event = view.finalized ? finalized.get(view.round) : undefined;
      if (event !== undefined) {
        const { result } = roundFinalized(event);
        Object.assign(view, {
          globalRoot: result.globalRoot,
          globalHash: result.globalHash,
          rejectedCount: Number(result.rejectedCount),
          reportRoot: result.reportRoot,
          metrics: decodeMetricsWord(result.metrics),
        });
      }
    }
    return rounds;
  }

  async #readTask(contract: Contract, deployment: Deployment, connection: FlaiConnection, id: bigint): Promise<FederatedTaskView> {
    const raw = await readTaskStruct(contract, id, { networkName: connection.networkName, address: deployment.federated });
    return {
      id,
      status: STATUS[Number(raw.status)] ?? "active",
      creator: raw.creator,
      rounds: Number(raw.rounds),
      quorum: Number(raw.quorum),
      maxClients: Number(raw.maxClients),
      currentRound: Number(raw.currentRound),
      roundDuration: Number(raw.roundDuration),
      measurement: raw.measurement,
      enclave: getAddress(raw.enclave),
      globalRoot: raw.globalRoot,
      globalHash: raw.globalHash,
      rewardPool: raw.rewardPool,
      paidOut: raw.paidOut,
      contract: deployment.federated,
      chainId: deployment.chainId,
      networkName: connection.networkName,
    };
  }

  async #readRound(contract: Contract, taskId: bigint, round: number): Promise<RoundView> {
    const r = await readRoundStruct(contract, taskId, round);
    return {
      round,
      deadline: r.deadline,
      finalizeBy: r.finalizeBy,
      updateCount: Number(r.updateCount),
      maxClients: Number(r.maxClients),
      closed: r.closed,
      updatesAccumulator: r.updatesAccumulator,
      acceptedCount: Number(r.acceptedCount),
      acceptedWeight: r.acceptedWeight,
      finalized: r.finalized,
      commitment: r.commitment === ZeroHash ? undefined : r.commitment,
      pool: r.pool,
    };
  }

  /**
   * For sending: the contract bound to `signer`, else to the network's first account. A given signer
   * spares listing the accounts (one eth_accounts and a signer object per account, every call).
   */
  async #bound(given: FlaiConnection | undefined, role: DeploymentRole = "participant", signer?: HardhatEthersSigner) {
    const connection = await useConnection(this.#hre, given);
    const deployment = await resolveDeployment(this.#hre, connection, false, { role, devAuthority: devAuthorityAddress });
    const sender = signer ?? (await firstSigner(connection));
    return { connection, deployment, signer: sender, contract: federatedContract(deployment, sender) };
  }

  /** For reading: through the provider, so no private key is needed. */
  async #reader(given: FlaiConnection | undefined) {
    const connection = await useReadConnection(this.#hre, given);
    const deployment = await resolveDeployment(this.#hre, connection, false, { devAuthority: devAuthorityAddress });
    return { connection, deployment, contract: federatedContract(deployment, connection.ethers.provider) };
  }

  #send(contract: Contract, method: string, args: unknown[], value?: bigint) {
    return sendTx(contract, "FLAIFederated", method, args, { value, explain: explainFederatedRevert });
  }
}

function checkCount(value: number, what: string, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw flaiError(`${what} must be a whole number from ${min} to ${max}, got ${value}.`);
  }
}

/** The spec's starting weights and biases (class-major), or zeros shaped for the task's classes. */
function initialParameters(spec: ModelSpec, classes: readonly ClassLabel[], source: string): [Float64Array, Float64Array] {
  const outputs = outputsFor(classes.length);
  if (spec.weights === undefined) return [new Float64Array(outputs * spec.features), new Float64Array(outputs)];
  const start = weightsFromJson(spec.weights, spec.bias ?? (outputs === 1 ? 0 : new Array<number>(outputs).fill(0)), spec.features, source);
  if (start.outputs !== outputs) {
    throw flaiError(
      `${source}: the task's ${classes.length} classes need ${outputs} row(s) of weights, but "weights" has ${start.outputs}.`,
    );
  }
  return [start.weights, start.bias];
}

function isBinaryDefault(classes: readonly ClassLabel[]): boolean {
  return classes.length === 2 && classes[0] === BINARY_CLASSES[0] && classes[1] === BINARY_CLASSES[1];
}

/**
 * A median or trimmed-mean task whose rounds can close with fewer than 3 updates would have rounds
 * the enclave refuses to publish (the median of 2 is their mean; a trimmed mean of 2 has nothing
 * left once one value per end is dropped). Refused here, before anything is paid.
 */
function checkRobustQuorum(strategy: StrategyConfig, quorum: number): void {
  if (strategy.name !== "median" && strategy.name !== "trimmed-mean") return;
  if (quorum < MIN_ROBUST_UPDATES) {
    throw flaiError(
      `--strategy ${strategy.name} needs --quorum ≥ ${MIN_ROBUST_UPDATES}, got ${quorum}: with fewer updates a median is a mean and a ` +
        `trimmed mean has nothing left between its trimmed ends, so the enclave would refuse to publish the round.`,
    );
  }
}

function assertActive(task: FederatedTaskView): void {
  if (task.status === "finished") {
    throw flaiError(
      `Federated task ${task.id} is finished: all ${task.rounds} rounds are finalized. Its final global model is ${task.globalRoot}.`,
    );
  }
  if (task.status === "cancelled") {
    throw flaiError(`Federated task ${task.id} was cancelled by its creator.`);
  }
}

function isoTime(unix: bigint): string {
  return new Date(Number(unix) * 1000).toISOString();
}

let federatedInterface: Interface | undefined;

/** Parsing the ABI into an Interface costs ~2 ms, and every call binds a contract: parse it once per process. */
function federatedContract(deployment: Deployment, runner: ContractRunner): Contract {
  federatedInterface ??= memoInterface(loadFlaiArtifact("FLAIFederated").abi);
  return new Contract(deployment.federated, federatedInterface, runner);
}

/** Why the creator cannot cancel yet (the contract's rule: only a failed round), and from when it could. */
function notCancellable(task: FederatedTaskView, round: RoundView, phase: RoundPhase): string {
  const at = (t: bigint) => isoTime(t);
  const rule =
    "a task can be cancelled only when its current round failed: no quorum by its deadline, or not finalized by deadline + round duration";
  if (phase === "open") {
    return (
      `Task ${task.id} cannot be cancelled now: round ${round.round} is open until ${at(round.deadline)} with ${round.updateCount} of ` +
      `${task.quorum} updates; ${rule}. Try again after ${at(round.deadline)} if the quorum is not met.`
    );
  }
  return (
    `Task ${task.id} cannot be cancelled now: round ${round.round} met its quorum (${round.updateCount} updates) and its enclave may ` +
    `finalize it until ${at(round.finalizeBy)}; ${rule}. Try again after ${at(round.finalizeBy)} if it is not finalized.`
  );
}

/** What #roundInputs read for the enclave, and how to read the updates and the evaluation set again. */
interface RoundInputs {
  updates: RecordedUpdate[];
  /** The previous model as stored (sealed for a private task) and the task's keyrings (none for a public task). */
  globalBytes: Uint8Array;
  keyrings: Uint8Array[];
  /** null: a worker of this process already holds the task's evaluation set. */
  evaluation: Uint8Array | null;
  readUpdates: () => Promise<RecordedUpdate[]>;
  /** By the root the model commits: read from a public model, or named by the enclave's refusal (refusalDetailOf). */
  readEvaluation: (root: string) => Promise<Uint8Array>;
  /** Marks the task's evaluation set as handed to this process's workers (see handedFor). */
  handedKey: string;
  /** The first call will be refused for want of the evaluation set (see #roundInputs). */
  expectRefusal: boolean;
}

/** The enclave's rejections may leave a round short of its quorum: then nothing is finalized. */
function assertQuorumAfterRejections(task: FederatedTaskView, round: number, response: AggregateResponse, recorded: number): void {
  if (response.accepted.length < task.quorum) {
    throw flaiError(
      `Quorum not met for round ${round} of task ${task.id} after rejections: ${response.accepted.length} accepted of ` +
        `${recorded} recorded (quorum ${task.quorum}). Rejected: ` +
        response.rejected.map((r) => `${r.client}: ${r.reason}`).join("; "),
    );
  }
}

/** createTask's options checked and resolved, before anything is read, paid or uploaded. */
function checkTaskOptions(opts: CreateTaskOptions, defaultRoundDuration: number) {
  const pool = parse0G(opts.reward, "--reward");
  checkCount(opts.rounds, "--rounds", 1, MAX_ROUNDS);
  checkCount(opts.quorum, "--quorum", 1, MAX_QUORUM);
  const maxClients = opts.maxClients ?? MAX_CLIENTS_LIMIT;
  checkCount(maxClients, "--max-clients", opts.quorum, MAX_CLIENTS_LIMIT);
  const roundDuration = opts.roundDuration ?? defaultRoundDuration;
  checkCount(roundDuration, "--round-duration", 1, MAX_ROUND_DURATION_SECONDS);
  // Former keys (clipNorm, local.mu) are read as their new ones first; the caller warns about them.
  const { strategy: given, local, deprecated } = resolveDeprecatedKeys(opts.strategy, opts.local);
  const strategy = given ?? { name: "fedavg" };
  checkConfig(strategy);
  const rules = resolveRules(opts.rules, strategy);
  const driftCorrection = resolveDriftCorrection(local?.driftCorrection, strategy);
  if (driftCorrection !== undefined && strategy.name === "fedprox" && local?.proximalMu !== undefined) {
    throw flaiError(
      `local.proximalMu sets FedProx's proximal term, which drift correction replaces with its own (driftCorrection.mu ${driftCorrection.mu}). ` +
        `Set local.driftCorrection: false to train FedProx with proximalMu ${local.proximalMu}, or leave local.proximalMu out.`,
    );
  }
  checkRobustQuorum(strategy, opts.quorum);
  if (opts.modelFormat !== undefined && !MODEL_FORMATS.includes(opts.modelFormat)) {
    throw flaiError(`--model-format must be one of ${MODEL_FORMATS.join(", ")}, got ${JSON.stringify(opts.modelFormat)}.`);
  }
  const expectedNumExamples = local?.expectedNumExamples;
  if (expectedNumExamples !== undefined) checkCount(expectedNumExamples, "--expected-num-examples", 1, Number.MAX_SAFE_INTEGER);
  return { pool, maxClients, roundDuration, strategy, rules, driftCorrection, expectedNumExamples, local, deprecated };
}

/**
 * The event a successful transaction of this contract always emits (createTask's TaskCreated…). Its
 * absence means the address holds another contract than the deployment says: said so, not a TypeError.
 */
function eventIn(contract: Contract, receipt: { hash: string; logs: ReadonlyArray<unknown> }, name: string): EventLog {
  const event = eventsNamed(contract, receipt.logs, name)[0];
  if (event === undefined) {
    throw flaiError(
      `Transaction ${receipt.hash} succeeded but emitted no ${name} event; is the Federated contract at this address the one this plugin deployed?`,
    );
  }
  return event;
}

/** Task keys found per connection (see FlaiFederated.#taskKeys), and reader keys registered per connection. */
const taskKeysKnown = new WeakMap<object, Map<string, Uint8Array[]>>();
const readersRegistered = new WeakMap<object, Map<string, ReaderIdentity>>();

/** What a task's models and keyrings are bound to. */
function taskContext(task: FederatedTaskView): TaskContext {
  return { chainId: task.chainId, contract: task.contract, taskId: task.id };
}

/**
 * The round whose model is the task's current global model: the last finalized one (0: the initial
 * model). A finished task stays at its last round; an active or cancelled one is one round past it.
 */
function currentModelRound(task: FederatedTaskView): number {
  return task.status === "finished" ? task.rounds : task.currentRound - 1;
}

/** A client address from --clients, checksummed; anything else is named. */
function parseClientAddress(value: string): string {
  try {
    return getAddress(value.trim());
  } catch {
    throw flaiError(`--clients takes account addresses (0x + 40 hex), comma-separated; ${JSON.stringify(value)} is not one.`);
  }
}

/** Evaluation-set roots enclave workers named for private tasks, per connection (see #roundInputs). */
const evaluationRoots = new WeakMap<object, Map<string, string>>();

function evaluationRootsFor(connection: object): Map<string, string> {
  let roots = evaluationRoots.get(connection);
  if (roots === undefined) evaluationRoots.set(connection, (roots = new Map()));
  return roots;
}
