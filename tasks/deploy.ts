import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { Ui } from "../src/ui.js";

export default async function deploy(args: { json: boolean }, hre: HardhatRuntimeEnvironment) {
  const ui = new Ui({ json: args.json });
  const deployment = await ui.progress("Deploying FLAIComputeJobs", () => hre.flai.jobs.deploy());
  ui.ok(
    `FLAIComputeJobs ${deployment.deployedNow ? "deployed" : "already deployed"} at ${deployment.address} ` +
      `(network ${deployment.networkName}, chain ${deployment.chainId})`,
  );
  const enclave = await hre.flai.jobs.registerEnclave();
  ui.ok(
    enclave.txHashes.length === 0
      ? `Enclave ${enclave.signer} already registered`
      : `Enclave ${enclave.signer} registered for measurement ${enclave.measurement} (report by attestation authority ${enclave.authority})`,
  );
  ui.result({ ...deployment, enclave });
}
