import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";

import { loadFlaiArtifact } from "../../src/chain/artifact.js";
import { devAuthorityAddressSync } from "../../src/tee/machine.js";

/**
 * The compute-job escrow and enclave registry, owned by the deploying account (who accepts measurements).
 * `attestationAuthority` is the key whose signed reports register enclaves, pinned for the contract's
 * life: by default this machine's dev authority (the simulated TEE's quote verifier); on a real TEE,
 * pass the verifier's address, e.g. `--parameters '{"FLAIComputeJobs":{"attestationAuthority":"0x…"}}'`.
 */
export default buildModule("FLAIComputeJobs", (m) => {
  const owner = m.getAccount(0);
  const authority = m.getParameter("attestationAuthority", devAuthorityAddressSync());
  const jobs = m.contract("FLAIComputeJobs", loadFlaiArtifact("FLAIComputeJobs"), [owner, authority]);
  return { jobs };
});
