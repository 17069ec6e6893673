import { Contract, type ContractRunner } from "ethers";

import { sdkArtifact } from "./artifacts.js";

/** The fields of InferenceServing's Account the provider checks. */
export interface UserAccount {
  nonce: bigint;
  balance: bigint;
  pendingRefund: bigint;
  acknowledged: boolean;
  generation: bigint;
  revokedBitmap: bigint;
}

export interface ServiceInfo {
  url: string;
  model: string;
  inputPrice: bigint;
  outputPrice: bigint;
  teeSignerAddress: string;
  teeSignerAcknowledged: boolean;
  verifiability: string;
  /** JSON; says which key signs answers when the model runs in a TEE of its own (TargetTeeAddress). */
  additionalInfo: string;
}

/** InferenceServing (the SDK's ABI) bound to a runner: reads, and the provider's own transactions. */
export function inferenceContract(address: string, runner: ContractRunner): Contract {
  return new Contract(address, sdkArtifact("InferenceServing").abi, runner);
}

/** The user's sub-account with this provider, or undefined (the contract reverts AccountNotExists). */
export async function readAccount(inference: Contract, user: string, provider: string): Promise<UserAccount | undefined> {
  if (!((await inference.accountExists!(user, provider)) as boolean)) return undefined;
  const a = (await inference.getAccount!(user, provider)) as UserAccount;
  return {
    nonce: a.nonce,
    balance: a.balance,
    pendingRefund: a.pendingRefund,
    acknowledged: a.acknowledged,
    generation: a.generation,
    revokedBitmap: a.revokedBitmap,
  };
}

export async function readService(inference: Contract, provider: string): Promise<ServiceInfo | undefined> {
  if (!((await inference.serviceExists!(provider)) as boolean)) return undefined;
  const s = (await inference.getService!(provider)) as ServiceInfo;
  return {
    url: s.url,
    model: s.model,
    inputPrice: s.inputPrice,
    outputPrice: s.outputPrice,
    teeSignerAddress: s.teeSignerAddress,
    teeSignerAcknowledged: s.teeSignerAcknowledged,
    verifiability: s.verifiability,
    additionalInfo: s.additionalInfo,
  };
}
