import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { Contract, Signature, getAddress } from "ethers";

import { flaiError } from "../errors.js";
import { loadFlaiArtifact } from "../jobs/artifact.js";
import { recoverJobResultSigner } from "../jobs/eip712.js";
import { decodeRevert } from "../jobs/revert.js";
import { parseDataset } from "../ml/dataset.js";
import { modelBytes, parseModelSpec, resultHash, trainFromSpec } from "../ml/model.js";
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
 * result hash, the enclave's signature from the completing transaction, and its registration.
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
      const dataset = parseDataset(data.bytes, `dataset ${job.dataRoot}`);
      const spec = parseModelSpec(model.bytes, `model ${job.modelRoot}`);
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
      const signature = Signature.from({ r, yParityAndS: vs }).serialized;
      recovered = getAddress(
        recoverJobResultSigner({ chainId: deployment.chainId, contract: deployment.address, jobId: id, resultHash: eventHash, payee }, signature),
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
        `EIP-712 JobResult(jobId ${id}, resultHash, payee ${payee}) rebuilt from the event; the calldata signature recovers ${recovered}` +
          (recovered === enclave ? ", the event's enclave" : `, not the event's enclave ${enclave}`),
      );
    }
  }

  // The registry, as it was when the job completed (and now).
  const at = await viewAt(async (o) => {
    const measurement = (await jobs.enclaveMeasurement(enclave, o)) as string;
    const accepted = measurement !== ZERO && ((await jobs.isMeasurementAccepted(measurement, o)) as boolean);
    return { measurement, accepted };
  }, event.blockNumber);
  const nowAccepted = (await jobs.isAcceptedEnclave(enclave)) as boolean;
  const later = nowAccepted ? "" : "; it has been removed or its measurement revoked since";
  if (at.value.measurement === ZERO) {
    add("enclave registration", "mismatch", `${enclave} was not a registered enclave at ${at.at}`);
  } else {
    add(
      "enclave registration",
      at.value.accepted ? "match" : "mismatch",
      `${enclave} was registered for measurement ${at.value.measurement}, ${at.value.accepted ? "accepted" : "NOT accepted"} at ${at.at}${later}`,
    );
    const local = await flai.teeSim.measurement();
    add(
      "enclave code",
      eq(local, at.value.measurement) ? "match" : "cannot check",
      eq(local, at.value.measurement)
        ? `the registered measurement is this checkout's enclave program (${local}): the re-execution ran the code the enclave attested`
        : `the registered measurement ${at.value.measurement} is not this checkout's enclave program (${local}); the re-execution ran this code`,
    );
  }
  return items;
}

interface RawJob {
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
    dataRoot: raw.dataRoot.toLowerCase(),
    modelRoot: raw.modelRoot.toLowerCase(),
    resultHash: raw.resultHash === ZERO ? undefined : raw.resultHash.toLowerCase(),
    status: STATUS[Number(raw.status)] ?? "open",
  };
}
