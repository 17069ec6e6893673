import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { FlaiJobs } from "./jobs/client.js";
import { LocalStorage } from "./storage/local.js";
import type { StorageBackend } from "./storage/types.js";
import { TeeSim } from "./tee/enclave.js";

/** `hre.flai`: every part a task uses, usable from scripts and tests too. */
export interface FlaiRuntime {
  /** Content-addressed storage keyed by 0G Merkle roots. */
  readonly storage: StorageBackend;
  /** The compute-job escrow contract on the chosen network. */
  readonly jobs: FlaiJobs;
  /** The simulated enclave: identity, attestation, isolated training. */
  readonly teeSim: TeeSim;
}

export function createFlaiRuntime(hre: HardhatRuntimeEnvironment): FlaiRuntime {
  const config = hre.config.flai;
  const storage = new LocalStorage(config.storage.path);
  const teeSim = new TeeSim({
    dir: config.enclave.path,
    storage,
    trainingTimeoutSeconds: config.enclave.trainingTimeoutSeconds,
  });
  const jobs = new FlaiJobs(hre, { config, storage, teeSim });
  return { storage, jobs, teeSim };
}
