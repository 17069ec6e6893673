import { getAddress, isHexString } from "ethers";

import { flaiError } from "../errors.js";
import { readLocalFile } from "../inputs.js";
import { parseJsonText } from "../ml/dataset.js";
import { modelBytes, parseTrainedModel, resultHash } from "../ml/model.js";
import type { TrainingResult } from "../tee/enclave.js";
import { writeFileAtomic } from "../util/fs.js";

import { recoverJobResultSigner } from "../tee/job-result-signature.js";

/** v2: the signature covers the job's submitter, deadline and input roots (v1 covered only id, hash, payee). */
const FORMAT = "flai-result/v2";
const OLD_FORMAT = "flai-result/v1";

/** A signed result on disk: everything `flai:complete` needs (the whole signed binding), model included, no secrets. */
export function serializeResult(result: TrainingResult): string {
  const doc = {
    format: FORMAT,
    chainId: result.chainId.toString(),
    contract: result.contract,
    jobId: result.jobId.toString(),
    submitter: result.submitter,
    deadline: result.deadline.toString(),
    dataRoot: result.dataRoot,
    modelRoot: result.modelRoot,
    resultHash: result.resultHash,
    payee: result.payee,
    signer: result.signer,
    measurement: result.measurement,
    signature: result.signature,
    model: result.model,
  };
  return JSON.stringify(doc, null, 2) + "\n";
}

export async function writeResultFile(file: string, result: TrainingResult): Promise<void> {
  await writeFileAtomic(file, serializeResult(result));
}

/**
 * Reads a result file and re-checks it: the model must hash to resultHash, the signature must recover
 * to signer over the whole binding (job, submitter, deadline, roots, hash, payee).
 */
export async function readResultFile(file: string): Promise<TrainingResult> {
  // Through the shared input readers: a folder, device or oversized file is refused by what it is, and
  // duplicate keys or absurd nesting are refused rather than silently resolved.
  const raw = await readLocalFile(file, "Result");
  const parsed = parseJsonText(Buffer.from(raw).toString("utf8"), `Result file "${file}"`);
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
    throw flaiError(`Result file "${file}" is not a hardhat-flai result (format should be "${FORMAT}"). Pass the file flai:train wrote.`);
  }
  const doc = parsed as Record<string, unknown>;
  if (doc.format === OLD_FORMAT) {
    throw flaiError(
      `Result file "${file}" is a ${OLD_FORMAT} result: its signature does not bind the job's inputs, submitter and deadline, ` +
        `and the contract no longer accepts such results. Train the job again: npx hardhat flai:train --job ${String(doc.jobId ?? "<id>")}`,
    );
  }
  if (doc.format !== FORMAT) {
    throw flaiError(`Result file "${file}" is not a hardhat-flai result (format should be "${FORMAT}").`);
  }
  const field = (name: string): string => {
    const v = doc[name];
    if (typeof v !== "string" || v === "") {
      throw flaiError(`Result file "${file}" has no "${name}".`);
    }
    return v;
  };
  const root = (value: string, name: string): string => {
    if (!isHexString(value, 32)) {
      throw flaiError(`Result file "${file}" has a malformed "${name}" (${value}): a 0G root is 0x followed by 64 hex digits.`);
    }
    return value.toLowerCase();
  };
  const model = parseTrainedModel(Buffer.from(JSON.stringify(doc.model ?? null)), `${file} (model)`);
  const bytes = modelBytes(model);
  const hash = resultHash(bytes);
  if (hash !== field("resultHash").toLowerCase()) {
    throw flaiError(`Result file "${file}" was altered: its model hashes to ${hash}, not to the signed ${field("resultHash")}.`);
  }
  const result: TrainingResult = {
    jobId: BigInt(field("jobId")),
    chainId: BigInt(field("chainId")),
    contract: getAddress(field("contract")),
    submitter: getAddress(field("submitter")),
    deadline: BigInt(field("deadline")),
    dataRoot: root(field("dataRoot"), "dataRoot"),
    modelRoot: root(field("modelRoot"), "modelRoot"),
    payee: getAddress(field("payee")),
    model,
    modelBytes: bytes,
    resultHash: hash,
    signature: field("signature"),
    signer: getAddress(field("signer")),
    measurement: field("measurement"),
  };
  if (getAddress(recoverJobResultSigner(result, result.signature)) !== result.signer) {
    throw flaiError(
      `Result file "${file}": the signature does not match its job, submitter, deadline, input roots, hash and payee ` +
        `(signed by someone other than ${result.signer}, or a field was edited).`,
    );
  }
  return result;
}
