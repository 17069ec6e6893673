import { computeAddress } from "ethers/transaction";

import { unsealSecrets } from "../tee/identity.js";

import { signRoundClose } from "./eip712.js";

export interface RoundCloseRequest {
  enclaveDir: string;
  binding: { chainId: string; contract: string; taskId: string; round: number };
}

export interface RoundCloseResponse {
  signature: string;
  signer: string;
}

/**
 * Inside the enclave: sign FLAIFederated's RoundClose(taskId, round). The contract checks the rest
 * (the task's enclave, the quorum, the round still open), so the enclave needs no chain view here.
 */
export async function signRoundCloseInEnclave(req: RoundCloseRequest): Promise<RoundCloseResponse> {
  const { signingKey } = await unsealSecrets(req.enclaveDir);
  const binding = {
    chainId: BigInt(req.binding.chainId),
    contract: req.binding.contract,
    taskId: BigInt(req.binding.taskId),
    round: req.binding.round,
  };
  return { signature: signRoundClose(signingKey, binding), signer: computeAddress(signingKey) };
}
