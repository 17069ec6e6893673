import type { ContractRunner } from "ethers";

import { inferenceContract, readAccount, readService, type ServiceInfo, type UserAccount } from "../devnet/compute/serving-contract.js";

/**
 * Read-only InferenceServing calls with the SDK's own ABI: the service as registered (prices, TEE
 * signer, additionalInfo — what decides who must sign answers) and the user's sub-account (whose
 * nonce moves only when the provider settles).
 */
export interface InferenceReader {
  service(provider: string): Promise<ServiceInfo | undefined>;
  account(user: string, provider: string): Promise<UserAccount | undefined>;
}

export function inferenceReader(address: string, runner: ContractRunner): InferenceReader {
  const inference = inferenceContract(address, runner);
  return {
    service: (provider) => readService(inference, provider),
    account: (user, provider) => readAccount(inference, user, provider),
  };
}
