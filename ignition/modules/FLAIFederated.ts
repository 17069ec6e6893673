import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";

import { loadFlaiArtifact } from "../../src/jobs/artifact.js";

/**
 * Federated-learning rounds with attested FedAvg aggregation. The enclave registry is not duplicated:
 * pass the deployed FLAIComputeJobs address as the `registry` parameter, e.g.
 * `--parameters '{"FLAIFederated":{"registry":"0x..."}}'`.
 */
export default buildModule("FLAIFederated", (m) => {
  const registry = m.getParameter<string>("registry");
  const federated = m.contract("FLAIFederated", loadFlaiArtifact("FLAIFederated"), [registry]);
  return { federated };
});
