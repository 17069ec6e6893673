import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";

import { loadFlaiArtifact } from "../../src/chain/artifact.js";

import jobsModule from "./FLAIComputeJobs.js";

/**
 * Everything hardhat-flai deploys: the compute-job escrow (also the enclave registry) and the
 * federated rounds contract, which trusts that registry instead of keeping its own.
 */
export default buildModule("FLAIFederated", (m) => {
  const { jobs } = m.useModule(jobsModule);
  const federated = m.contract("FLAIFederated", loadFlaiArtifact("FLAIFederated"), [jobs]);
  return { jobs, federated };
});
