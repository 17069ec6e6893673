import { createRequire } from "node:module";
import path from "node:path";

import type { InterfaceAbi } from "ethers";

const require = createRequire(import.meta.url);

export interface Artifact {
  abi: InterfaceAbi;
  bytecode: string;
}

type SdkContract = "LedgerManager" | "InferenceServing" | "FineTuningServing";

const SDK_FACTORIES: Record<SdkContract, string> = {
  LedgerManager: "ledger/contract/typechain/factories/LedgerManager__factory.js",
  InferenceServing: "inference/contract/typechain/factories/InferenceServing__factory.js",
  FineTuningServing: "fine-tuning/contract/typechain/factories/FineTuningServing__factory.js",
};

const cache = new Map<string, Artifact>();

/**
 * ABI and creation bytecode of a serving contract exactly as the compute SDK ships them (its
 * typechain factories), so the devnet runs the bytecode the SDK was built against. The package's
 * `exports` only exposes its entry point, so the factory is loaded by absolute path from the
 * CommonJS build next to it.
 */
export function sdkArtifact(name: SdkContract): Artifact {
  let artifact = cache.get(name);
  if (artifact === undefined) {
    const entry = require.resolve("@0gfoundation/0g-compute-ts-sdk"); // …/lib.commonjs/index.js
    const mod = require(path.join(path.dirname(entry), SDK_FACTORIES[name])) as Record<string, Artifact>;
    const factory = mod[`${name}__factory`]!;
    artifact = { abi: factory.abi, bytecode: factory.bytecode };
    cache.set(name, artifact);
  }
  return artifact;
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
