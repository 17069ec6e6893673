import { CONTRACT_ADDRESSES } from "#0g-compute-sdk";
import { Contract, ContractFactory, getAddress, type InterfaceAbi, type Provider, type Signer } from "ethers";

import { beaconArtifact, sdkArtifact } from "./artifacts.js";

export interface ComputeContracts {
  ledger: string;
  inference: string;
  fineTuning: string;
  /** True when they sit at the SDK's built-in chain-31337 addresses (the broker finds them by itself). */
  builtIn: boolean;
}

/** Where the SDK looks on chain 31337: what Hardhat account #0 creates from nonce 0 in DEPLOY order. */
export const BUILT_IN_COMPUTE_ADDRESSES = {
  ledger: getAddress(CONTRACT_ADDRESSES.hardhat.ledger),
  inference: getAddress(CONTRACT_ADDRESSES.hardhat.inference),
  fineTuning: getAddress(CONTRACT_ADDRESSES.hardhat.fineTuning),
} as const;

/** One day: within the contracts' 1 h .. 7 d bounds for refund lock times. */
const LOCK_TIME = 86_400n;
const FINE_TUNING_PENALTY_PERCENT = 30n;
const VERSION = "v1.0";

async function mined(tx: Promise<{ wait(): Promise<unknown> }>): Promise<void> {
  await (await tx).wait();
}

/** implementation, UpgradeableBeacon(implementation), BeaconProxy(beacon, 0x): three nonces. */
async function deployBehindBeacon(signer: Signer, name: "LedgerManager" | "InferenceServing" | "FineTuningServing"): Promise<Contract> {
  const deploy = async ({ abi, bytecode }: { abi: InterfaceAbi; bytecode: string }, ...args: unknown[]) => {
    const contract = await new ContractFactory(abi, bytecode, signer).deploy(...args);
    await contract.waitForDeployment();
    return contract.getAddress();
  };
  const impl = sdkArtifact(name);
  const implAddress = await deploy(impl);
  const beaconAddress = await deploy(beaconArtifact("UpgradeableBeacon"), implAddress);
  const proxyAddress = await deploy(beaconArtifact("BeaconProxy"), beaconAddress, "0x");
  // The implementation locks itself in its constructor; only the proxy is usable.
  return new Contract(proxyAddress, impl.abi, signer);
}

/**
 * Deploys LedgerManager, InferenceServing and FineTuningServing behind beacon proxies from the
 * SDK's own bytecode, one transaction after the other in the order that puts them on the SDK's
 * built-in addresses when `signer` is Hardhat account #0 at nonce 0 (16 transactions). From any
 * other account or nonce they land elsewhere: the real addresses come back with `builtIn: false`
 * and must then be passed to `createZGComputeNetworkBroker` explicitly.
 */
export async function deployComputeContracts(signer: Signer): Promise<ComputeContracts> {
  const owner = await signer.getAddress();

  const ledger = await deployBehindBeacon(signer, "LedgerManager"); // nonces 0-2
  await mined(ledger.initialize!(owner)); // 3
  const ledgerAddress = await ledger.getAddress();

  const inference = await deployBehindBeacon(signer, "InferenceServing"); // 4-6
  await mined(inference.initialize!(LOCK_TIME, ledgerAddress, owner)); // 7
  const inferenceAddress = await inference.getAddress();
  await mined(ledger.registerService!("inference", VERSION, inferenceAddress, "0G Compute inference serving (local devnet)")); // 8
  await mined(ledger.setRecommendedService!("inference", VERSION)); // 9

  const fineTuning = await deployBehindBeacon(signer, "FineTuningServing"); // 10-12
  await mined(fineTuning.initialize!(LOCK_TIME, ledgerAddress, owner, FINE_TUNING_PENALTY_PERCENT)); // 13
  const fineTuningAddress = await fineTuning.getAddress();
  await mined(ledger.registerService!("fine-tuning", VERSION, fineTuningAddress, "0G Compute fine-tuning serving (local devnet)")); // 14
  await mined(ledger.setRecommendedService!("fine-tuning", VERSION)); // 15

  const addresses = {
    ledger: getAddress(ledgerAddress),
    inference: getAddress(inferenceAddress),
    fineTuning: getAddress(fineTuningAddress),
  };
  const builtIn =
    addresses.ledger === BUILT_IN_COMPUTE_ADDRESSES.ledger &&
    addresses.inference === BUILT_IN_COMPUTE_ADDRESSES.inference &&
    addresses.fineTuning === BUILT_IN_COMPUTE_ADDRESSES.fineTuning;
  return { ...addresses, builtIn };
}

/**
 * An earlier deployment at the built-in addresses (e.g. on a `hardhat node` that is still running),
 * or undefined. Code alone is not enough: another project's contracts from account #0 can sit at
 * those nonces, so both serving contracts must also point at the ledger.
 */
export async function findComputeContracts(provider: Provider): Promise<ComputeContracts | undefined> {
  const { ledger, inference, fineTuning } = BUILT_IN_COMPUTE_ADDRESSES;
  for (const address of [ledger, inference, fineTuning]) {
    if ((await provider.getCode(address)) === "0x") return undefined;
  }
  const ledgerOf = async (address: string, abi: InterfaceAbi): Promise<string | undefined> => {
    try {
      return getAddress((await new Contract(address, abi, provider).ledgerAddress!()) as string);
    } catch {
      return undefined;
    }
  };
  if ((await ledgerOf(inference, sdkArtifact("InferenceServing").abi)) !== ledger) return undefined;
  if ((await ledgerOf(fineTuning, sdkArtifact("FineTuningServing").abi)) !== ledger) return undefined;
  return { ledger, inference, fineTuning, builtIn: true };
}
