import { getAddress, parseEther, type Contract, type Signer } from "ethers";

import { flaiError } from "../../errors.js";

import { readService } from "./serving-contract.js";

/** What addOrUpdateService must carry on first registration (MIN_PROVIDER_STAKE). */
export const PROVIDER_STAKE = parseEther("100");

export interface ServiceRegistration {
  url: string;
  model: string;
  inputPrice: bigint;
  outputPrice: bigint;
  teeSigner: string;
}

/**
 * Registers (or updates) the provider's chatbot service and, unless told not to, has the contract
 * owner acknowledge its TEE signer: until then listService() hides it and processResponse fails.
 */
export async function registerService(
  inference: Contract,
  providerSigner: Signer,
  ownerSigner: Signer | undefined,
  reg: ServiceRegistration,
): Promise<void> {
  const provider = getAddress(await providerSigner.getAddress());
  const existing = await readService(inference, provider);
  const params = {
    serviceType: "chatbot",
    url: reg.url,
    model: reg.model,
    verifiability: "TeeML",
    inputPrice: reg.inputPrice,
    outputPrice: reg.outputPrice,
    // processResponse requires JSON here; "decentralized" + not separated = the TEE signer signs replies.
    additionalInfo: JSON.stringify({ ProviderType: "decentralized", TEEVerifier: "dstack", ImageName: "hardhat-flai/compute-devnet" }),
    teeSignerAddress: reg.teeSigner,
  };
  // The stake goes with the first registration only; an update carrying value reverts.
  const value = existing === undefined ? PROVIDER_STAKE : 0n;
  const asProvider = inference.connect(providerSigner) as Contract;
  await (await asProvider.addOrUpdateService!(params, { value })).wait();
  if (ownerSigner === undefined) return;

  const owner = getAddress((await inference.owner!()) as string);
  const caller = getAddress(await ownerSigner.getAddress());
  if (owner !== caller) {
    throw flaiError(
      `Only the InferenceServing owner ${owner} can acknowledge the provider's TEE signer, not ${caller}. ` +
        `Start the provider with the owner's signer (the account that deployed the compute contracts).`,
    );
  }
  await (await (inference.connect(ownerSigner) as Contract).acknowledgeTEESignerByOwner!(provider)).wait();
}
