import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { Contract } from "ethers";

import { loadFlaiArtifact } from "../chain/artifact.js";

import {
  eventsOf,
  fetchVerified,
  parseId,
  verdictItem,
  verifierChain,
  type VerifierParts,
  type VerifyItem,
  type VerifyOptions,
} from "./common.js";
import {
  checkCompleted,
  checkEnclaveCode,
  checkJobEvent,
  checkJobRegistration,
  checkJobSignature,
  jobCompletion,
  readJob,
  reExecuteJob,
  type JobCompletion,
} from "./job-checks.js";
import { checkModelHash, inputsInTheClear, jobAccess } from "./job-privacy.js";
import { readRegistration } from "../tee/registry.js";

/**
 * Checks a compute job's on-chain result from the chain and storage alone: the inputs by their
 * roots, the training re-executed here (outside any enclave, same deterministic code) against the
 * result hash, the stored model by its root and hash, the enclave's signature from the completing
 * transaction over the job's whole record (submitter, deadline, data and model roots, result root), and
 * its registration: an authority-signed report, by the authority the contract pins, unexpired and for an
 * accepted measurement when the job completed. A private job's hash and re-execution need the
 * submitter's key (`opts.account`); without it they are "cannot check: encrypted".
 */
export async function verifyJob(
  hre: HardhatRuntimeEnvironment,
  { storage, teeSim }: VerifierParts,
  jobId: bigint | number | string,
  opts: VerifyOptions = {},
): Promise<VerifyItem[]> {
  const id = parseId(jobId, "job");
  const { connection, deployment } = await verifierChain(hre, opts.connection);
  const provider = connection.ethers.provider;
  const jobs = new Contract(deployment.address, loadFlaiArtifact("FLAIComputeJobs").abi, provider);
  const job = await readJob(jobs, id, connection.networkName, deployment.address);
  const items: VerifyItem[] = [checkCompleted(deployment, job)];

  // Inputs: by root, through storage (which refuses bytes that do not have the root).
  const data = await fetchVerified(storage, job.dataRoot, "data input", "dataset");
  const model = await fetchVerified(storage, job.modelRoot, "model input", "model spec");
  items.push(data.item, model.item);
  const done = job.status === "completed" ? await completion(jobs, id) : undefined;
  if (done !== undefined && "item" in done) return [...items, done.item];
  const enclave =
    done === undefined
      ? undefined
      : await readRegistration(jobs, done.enclave, { blockTag: done.event.blockNumber }).catch(() => readRegistration(jobs, done.enclave));
  const place = { chainId: deployment.chainId, contract: deployment.address };
  const access = await jobAccess(connection, job, place, enclave, opts.account);
  const clear = inputsInTheClear(data.bytes, model.bytes, job.dataRoot, access);
  items.push(clear.unavailable ?? reExecuteJob(job, clear.data, clear.model));

  if (done === undefined) {
    items.push(
      verdictItem("enclave signature", "cannot check", `job ${id} was not completed, so no enclave signed a result`),
      verdictItem("enclave registration", "cannot check", `job ${id} was not completed, so there is no enclave to look up`),
    );
    return items;
  }
  const stored = await fetchVerified(storage, job.resultRoot!, "stored model", "trained model");
  items.push(stored.item, checkModelHash(job, stored, access));
  items.push(checkJobEvent(job, done), await checkJobSignature(jobs, deployment, job, done));
  items.push(...(await checkJobRegistration(jobs, done.enclave, done.event.blockNumber, provider)));
  items.push(...(await checkEnclaveCode(jobs, done.enclave, done.event.blockNumber, () => teeSim.measurement())));
  return items;
}

/** The job's one JobCompleted event, decoded, or the mismatch item when there is not exactly one. */
async function completion(jobs: Contract, id: bigint): Promise<JobCompletion | { item: VerifyItem }> {
  const events = await eventsOf(jobs, jobs.getEvent("JobCompleted")(id));
  if (events.length !== 1) {
    return {
      item: verdictItem(
        "JobCompleted event",
        "mismatch",
        `job ${id} is completed but ${events.length} JobCompleted events were found (expected exactly 1)`,
      ),
    };
  }
  return jobCompletion(events[0]!);
}
