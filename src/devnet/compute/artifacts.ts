import { createRequire } from "node:module";

import type { InterfaceAbi } from "ethers";

import { FineTuningServing__factory, InferenceServing__factory, LedgerManager__factory } from "#0g-compute-sdk";

const require = createRequire(import.meta.url);

export interface Artifact {
  abi: InterfaceAbi;
  bytecode: string;
}

type SdkContract = "LedgerManager" | "InferenceServing" | "FineTuningServing";

const SDK_FACTORIES: Record<SdkContract, Artifact> = {
  LedgerManager: LedgerManager__factory,
  InferenceServing: InferenceServing__factory,
  FineTuningServing: FineTuningServing__factory,
};

const cache = new Map<string, Artifact>();

/**
 * ABI and creation bytecode of a serving contract exactly as the compute SDK ships them (its
 * typechain factories, which the SDK does not export: scripts/bundle-sdks.mjs adds them to the
 * bundle), so the devnet runs the bytecode the SDK was built against.
 */
export function sdkArtifact(name: SdkContract): Artifact {
  const factory = SDK_FACTORIES[name];
  return { abi: factory.abi, bytecode: factory.bytecode };
}

/** OpenZeppelin 4.8.3's compiled beacon contracts (the version the serving contracts pin upstream). */
export function beaconArtifact(name: "UpgradeableBeacon" | "BeaconProxy"): Artifact {
  let artifact = cache.get(name);
  if (artifact === undefined) {
    const json = require(`@openzeppelin/contracts/build/contracts/${name}.json`) as Artifact;
    artifact = { abi: json.abi, bytecode: json.bytecode };
    cache.set(name, artifact);
  }
  return artifact;
}
