import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { Contract, getAddress } from "ethers";

import { flaiError } from "../errors.js";
import { loadFlaiArtifact } from "../jobs/artifact.js";
import { fromCompact, recoverJobResultSigner } from "../jobs/eip712.js";
import { readRegistration, registrationEvent } from "../jobs/registry.js";
import { decodeRevert } from "../jobs/revert.js";
import { modelBytes, parseModelSpec, parseTrainingData, resultHash, trainFromSpec } from "../ml/model.js";
import type { FlaiRuntime } from "../runtime.js";

import {
  directCall,
  eq,
  eventsOf,
  fetchVerified,
  message,
  parseId,
  verifierChain,
  viewAt,
  type VerifyItem,
  type VerifyOptions,
} from "./common.js";

const ZERO = "0x" + "0".repeat(64);
const STATUS: Record<number, string | undefined> = { 1: "open", 2: "completed", 3: "cancelled" };

/**
 * Checks a compute job's on-chain result from the chain and storage alone: the inputs by their
 * roots, the training re-executed here (outside any enclave, same deterministic code) against the
 * result hash, the enclave's signature from the completing transaction over the job's whole record
 * (submitter, deadline, data and model roots), and its registration: an authority-signed report, by
 * the authority the contract pins, unexpired and for an accepted measurement when the job completed.
 */
export async function verifyJob(
  hre: HardhatRuntimeEnvironment,
  flai: FlaiRuntime,
  jobId: bigint | number | string,
  opts: VerifyOptions = {},
): Promise<VerifyItem[]> {
  const id = parseId(jobId, "job");
  const { connection, deployment } = await verifierChain(hre, opts.connection);
  const jobs = new Contract(deployment.address, loadFlaiArtifact("FLAIComputeJobs").abi, connection.ethers.provider);
  const job = await readJob(jobs, id, connection.networkName, deployment.address);
  const items: VerifyItem[] = [];
  const add = (item: string, verdict: VerifyItem["verdict"], detail: string) => items.push({ item, verdict, detail });
  const completed = job.status === "completed";

  add(
    "job completed",
    completed ? "match" : "cannot check",
    completed
      ? `job ${id} on FLAIComputeJobs ${deployment.address} (chain ${deployment.chainId}) is completed with result hash ${job.resultHash}`
      : `job ${id} is ${job.status}: there is no on-chain result to verify`,
  );

  // Inputs: by root, through storage (which refuses bytes that do not have the root).
  const data = await fetchVerified(flai.storage, job.dataRoot, "data input", "dataset");
  const model = await fetchVerified(flai.storage, job.modelRoot, "model input", "model spec");
  items.push(data.item, model.item);

  // Re-execution outside the enclave: the same parse/train/serialize/hash the enclave program runs.
  if (data.bytes === undefined || model.bytes === undefined) {
    add("re-execution", "cannot check", "the job's inputs are not both available from storage (see above)");
  } else {
    try {
      // The spec first: its schema (label column, ignored columns, imputation) decides how the data reads.
      const spec = parseModelSpec(model.bytes, `model ${job.modelRoot}`);
      const dataset = parseTrainingData(data.bytes, spec, `dataset ${job.dataRoot}`);
      const trained = trainFromSpec(spec, dataset, { datasetRoot: job.dataRoot, modelRoot: job.modelRoot });
      const hash = resultHash(modelBytes(trained));
      if (!completed) {
        add("re-execution", "cannot check", `trained here to result hash ${hash}, but the job has no on-chain result to compare with`);
      } else if (eq(hash, job.resultHash)) {
        add("re-execution", "match", `training re-executed here gives ${hash}, the on-chain result hash`);
      } else {
        add("re-execution", "mismatch", `training re-executed here gives ${hash}, but the chain holds ${job.resultHash}`);
      }
    } catch (error) {
      add(
        "re-execution",
        completed ? "mismatch" : "cannot check",
        `the inputs do not train with this code (${message(error)})` + (completed ? ", yet the job was completed with a result" : ""),
      );
    }
  }

  if (!completed) {
    add("enclave signature", "cannot check", `job ${id} was not completed, so no enclave signed a result`);
    add("enclave registration", "cannot check", `job ${id} was not completed, so there is no enclave to look up`);
    return items;
  }

  // The JobCompleted event: who signed, for whom, what.
  const events = await eventsOf(jobs, jobs.filters.JobCompleted(id));
  if (events.length !== 1) {
    add("JobCompleted event", "mismatch", `job ${id} is completed but ${events.length} JobCompleted events were found (expected exactly 1)`);
    return items;
  }
  const event = events[0]!;
  const [, payeeRaw, enclaveRaw, eventHash] = event.args as unknown as [bigint, string, string, string, bigint];
  const payee = getAddress(payeeRaw);
  const enclave = getAddress(enclaveRaw);
  add(
    "JobCompleted event",
    eq(eventHash, job.resultHash) ? "match" : "mismatch",
    `tx ${event.transactionHash} (block ${event.blockNumber}): result hash ${eventHash}, payee ${payee}, enclave ${enclave}` +
      (eq(eventHash, job.resultHash) ? "" : `; the job record holds ${job.resultHash}`),
  );

  // The signature is not in the event: it is in the completeJob calldata (EIP-2098 r, vs).
  const call = await directCall(jobs, deployment.address, event, "completeJob");
  if ("why" in call) {
    add("enclave signature", "cannot check", call.why);
  } else {
    const [callJobId, callHash, callPayee, r, vs] = call.args as [bigint, string, string, string, string];
    const differs: string[] = [];
    if (callJobId !== id) differs.push(`job id ${callJobId}`);
    if (!eq(callHash, eventHash)) differs.push(`result hash ${callHash}`);
    if (!eq(callPayee, payee)) differs.push(`payee ${callPayee}`);
    let recovered: string | undefined;
    let why = "";
    try {
      recovered = getAddress(
        recoverJobResultSigner(
          {
            chainId: deployment.chainId,
            contract: deployment.address,
            jobId: id,
            submitter: job.submitter,
            deadline: job.deadline,
            dataRoot: job.dataRoot,
            modelRoot: job.modelRoot,
            resultHash: eventHash,
            payee,
          },
          fromCompact(r, vs),
        ),
      );
    } catch (error) {
      why = message(error);
    }
    if (differs.length > 0) {
      add("enclave signature", "mismatch", `the completeJob calldata differs from the event: ${differs.join(", ")}`);
    } else if (recovered === undefined) {
      add("enclave signature", "mismatch", `the signature in the completeJob calldata is malformed: ${why}`);
    } else {
      add(
        "enclave signature",
        recovered === enclave ? "match" : "mismatch",
        `EIP-712 JobResult(jobId ${id}, submitter ${job.submitter}, deadline ${job.deadline}, data root, model root, resultHash, ` +
          `payee ${payee}) rebuilt from the job record and the event: it binds the result to this job's inputs; the calldata signature recovers ${recovered}` +
          (recovered === enclave ? ", the event's enclave" : `, not the event's enclave ${enclave}`),
      );
    }
  }

  items.push(...(await registrationItems(jobs, enclave, event.blockNumber, connection.ethers.provider)));
  const at = await viewAt(async (o) => (await readRegistration(jobs, enclave, o)).measurement, event.blockNumber);
  if (at.value !== ZERO) {
    const local = await flai.teeSim.measurement();
    add(
      "enclave code",
      eq(local, at.value) ? "match" : "cannot check",
      eq(local, at.value)
        ? `the registered measurement is this checkout's enclave program (${local}): the re-execution ran the code the enclave attested`
        : `the registered measurement ${at.value} is not this checkout's enclave program (${local}); the re-execution ran this code`,
    );
  }
  return items;
}

/**
 * The enclave's registration as it stood when the job completed: registered, unexpired at that block's
 * time, for a measurement accepted then, and made with a report (from the EnclaveRegistered event) that
 * the attestation authority pinned by the contract signed.
 */
async function registrationItems(
  jobs: Contract,
  enclave: string,
  blockNumber: number,
  provider: { getBlock(n: number): Promise<{ timestamp: number } | null> },
): Promise<VerifyItem[]> {
  const at = await viewAt(async (o) => {
    const stored = await readRegistration(jobs, enclave, o);
    const accepted = stored.measurement !== ZERO && ((await jobs.isMeasurementAccepted(stored.measurement, o)) as boolean);
    return { stored, accepted };
  }, blockNumber);
  const { stored, accepted } = at.value;
  const nowAccepted = (await jobs.isAcceptedEnclave(enclave)) as boolean;
  const later = nowAccepted ? "" : "; it has since been removed, expired or had its measurement revoked";
  if (stored.measurement === ZERO) {
    return [{ item: "enclave registration", verdict: "mismatch", detail: `${enclave} was not a registered enclave at ${at.at}` }];
  }
  const blockTime = (await provider.getBlock(blockNumber))?.timestamp ?? 0;
  const unexpired = stored.expiry > blockTime;
  const items: VerifyItem[] = [
    {
      item: "enclave registration",
      verdict: accepted && unexpired ? "match" : "mismatch",
      detail:
        `${enclave} was registered for measurement ${stored.measurement} (${accepted ? "accepted" : "NOT accepted"}), valid until ` +
        `${new Date(stored.expiry * 1000).toISOString()} (${unexpired ? "unexpired" : "EXPIRED"} when the job completed) at ${at.at}${later}`,
    },
  ];
  const pinned = getAddress((await jobs.attestationAuthority()) as string);
  const found = await registrationEvent(jobs, enclave, stored, blockNumber);
  if (found === undefined) {
    items.push({ item: "enclave attestation", verdict: "cannot check", detail: `no EnclaveRegistered event of ${enclave} matches its registration (pruned logs?)` });
  } else {
    items.push({
      item: "enclave attestation",
      verdict: found.authority === pinned ? "match" : "mismatch",
      detail:
        `the report in EnclaveRegistered (tx ${found.event.transactionHash}) is signed by ${found.authority}` +
        (found.authority === pinned ? `, the attestation authority FLAIComputeJobs pins` : `, not by the pinned attestation authority ${pinned}`),
    });
  }
  return items;
}

interface RawJob {
  submitter: string;
  deadline: bigint;
  dataRoot: string;
  modelRoot: string;
  resultHash: string;
  status: bigint;
}

async function readJob(jobs: Contract, id: bigint, networkName: string, address: string) {
  let raw: RawJob;
  try {
    raw = (await jobs.getJob(id)) as RawJob;
  } catch (error) {
    if (decodeRevert(error, jobs.interface)?.name === "UnknownJob") {
      const count = (await jobs.jobCount()) as bigint;
      throw flaiError(
        `Job ${id} does not exist on network "${networkName}" (FLAIComputeJobs ${address} has ` +
          (count === 0n ? "no jobs yet" : `jobs 1..${count}`) + `).`,
      );
    }
    throw error;
  }
  return {
    submitter: getAddress(raw.submitter),
    deadline: BigInt(raw.deadline),
    dataRoot: raw.dataRoot.toLowerCase(),
    modelRoot: raw.modelRoot.toLowerCase(),
    resultHash: raw.resultHash === ZERO ? undefined : raw.resultHash.toLowerCase(),
    status: STATUS[Number(raw.status)] ?? "open",
  };
}
