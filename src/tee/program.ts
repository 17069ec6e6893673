import { Wallet } from "ethers";

import { signJobResult } from "../jobs/eip712.js";
import { parseDataset } from "../ml/dataset.js";
import { modelBytes, parseModelSpec, resultHash, trainFromSpec } from "../ml/model.js";

import { unsealSecrets } from "./identity.js";

/** Everything that crosses into the enclave for one job: bytes already verified against their roots. */
export interface TrainRequest {
  enclaveDir: string;
  dataset: Uint8Array;
  modelSpec: Uint8Array;
  datasetRoot: string;
  modelRoot: string;
  binding: { chainId: string; contract: string; jobId: string; payee: string };
}

/** Everything that leaves it: the model bytes and a signature binding their hash to the job and payee. */
export interface TrainResponse {
  modelBytes: Uint8Array;
  resultHash: string;
  signature: string;
  signer: string;
}

export async function runTraining(req: TrainRequest): Promise<TrainResponse> {
  const dataset = parseDataset(req.dataset, `dataset ${req.datasetRoot}`);
  const spec = parseModelSpec(req.modelSpec, `model ${req.modelRoot}`);
  const model = trainFromSpec(spec, dataset, { datasetRoot: req.datasetRoot, modelRoot: req.modelRoot });
  const bytes = modelBytes(model);
  const hash = resultHash(bytes);
  const { signingKey } = await unsealSecrets(req.enclaveDir);
  const signature = signJobResult(signingKey, {
    chainId: BigInt(req.binding.chainId),
    contract: req.binding.contract,
    jobId: BigInt(req.binding.jobId),
    resultHash: hash,
    payee: req.binding.payee,
  });
  return { modelBytes: bytes, resultHash: hash, signature, signer: new Wallet(signingKey).address };
}
