import { getAddress, isHexString } from "ethers";

import { flaiError } from "../errors.js";
import { readLocalFile } from "../inputs.js";
import { parseJsonText } from "../ml/dataset.js";
import { modelBytes, parseTrainedModel, resultHash, type TrainedModel } from "../ml/model.js";
import type { TrainingResult } from "../tee/enclave.js";
import { writeFileAtomic } from "../util/fs.js";

import { recoverJobResultSigner } from "../tee/job-result-signature.js";

/**
 * v3: the signature also covers the result's storage root, and a private job's file holds no model
 * (v2 covered the job's submitter, deadline and input roots; v1 only id, hash, payee).
 */
const FORMAT = "flai-result/v3";
const OLD_FORMATS: Record<string, string> = {
  "flai-result/v1": "its signature does not bind the job's inputs, submitter and deadline",
  "flai-result/v2": "its signature does not bind where the model is stored (the result root)",
};

/**
 * A signed result on disk: everything `flai:complete` needs (the whole signed binding), no secrets. The
 * model is in it only for a public job: a private job's model is sealed to its submitter, and the host
 * writing this file must never hold its plaintext (the ciphertext is in storage under resultRoot).
 */
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
    resultRoot: result.resultRoot,
    private: result.private,
    payee: result.payee,
    signer: result.signer,
    measurement: result.measurement,
    signature: result.signature,
    ...(result.private ? {} : { model: result.model }),
  };
  return JSON.stringify(doc, null, 2) + "\n";
}

export async function writeResultFile(file: string, result: TrainingResult): Promise<void> {
  await writeFileAtomic(file, serializeResult(result));
}

/**
 * Reads a result file and re-checks it: a public job's model must hash to resultHash, and the signature
 * must recover to signer over the whole binding (job, submitter, deadline, roots, hash, result root, payee).
 * A private result has no model to check (its bytes, sealed, are in storage under resultRoot).
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
  const old = typeof doc.format === "string" ? OLD_FORMATS[doc.format] : undefined;
  if (old !== undefined) {
    throw flaiError(
      `Result file "${file}" is a ${String(doc.format)} result: ${old}, ` +
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
  if (typeof doc.private !== "boolean") {
    throw flaiError(`Result file "${file}" has no "private" (true or false). Pass the file flai:train wrote.`);
  }
  const { model, bytes } = doc.private ? { model: undefined, bytes: new Uint8Array() } : publicModel(doc, file);
  const hash = doc.private ? root(field("resultHash"), "resultHash") : resultHash(bytes);
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
    private: doc.private,
    resultHash: hash,
    resultRoot: root(field("resultRoot"), "resultRoot"),
    signature: field("signature"),
    signer: getAddress(field("signer")),
    measurement: field("measurement"),
  };
  if (getAddress(recoverJobResultSigner(result, result.signature)) !== result.signer) {
    throw flaiError(
      `Result file "${file}": the signature does not match its job, submitter, deadline, input roots, hash, result root and payee ` +
        `(signed by someone other than ${result.signer}, or a field was edited).`,
    );
  }
  return result;
}

/** A public result's model: parsed (strictly, as a trained model) and serialized back to the bytes that were hashed. */
function publicModel(doc: Record<string, unknown>, file: string): { model: TrainedModel; bytes: Uint8Array } {
  const model = parseTrainedModel(Buffer.from(JSON.stringify(doc.model ?? null)), `${file} (model)`);
  return { model, bytes: modelBytes(model) };
}
