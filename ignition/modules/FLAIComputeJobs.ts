import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";

import { loadFlaiArtifact } from "../../src/jobs/artifact.js";

/** The compute-job escrow, owned by the deploying account (who manages the enclave registry). */
export default buildModule("FLAIComputeJobs", (m) => {
  const owner = m.getAccount(0);
  const jobs = m.contract("FLAIComputeJobs", loadFlaiArtifact("FLAIComputeJobs"), [owner]);
  return { jobs };
});
