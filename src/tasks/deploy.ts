import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { getAddress } from "ethers";

import { useConnection } from "../chain/connection.js";
import { acquireDeployLock } from "../chain/deploy-lock.js";
import { chainIdOf, isEphemeral } from "../chain/deployment.js";
import { optionalText } from "../cli/options.js";
import { devAuthority } from "../tee/attestation.js";
import { Ui } from "../ui.js";

/** flai:deploy's arguments as src/task-definitions.ts declares them (an option left out is undefined). */
export interface DeployTaskArguments {
  attestationAuthority?: string;
  json: boolean;
}

/**
 * The deployer's one-time step. With this machine's authority pinned (the default) it also registers
 * this machine's enclave; with another machine's (--attestation-authority / flai.enclave.attestationAuthority)
 * it accepts this version's measurement, and that machine's host registers its enclave itself.
 */
export default async function deploy(args: DeployTaskArguments, hre: HardhatRuntimeEnvironment) {
  const attestationAuthority = optionalText(args.attestationAuthority, "--attestation-authority");
  const ui = new Ui({ json: args.json });
  const release = await lockPersistentChain(hre, ui);
  try {
    await deployAndRegister(hre, ui, attestationAuthority);
  } finally {
    await release();
  }
}

/**
 * On a persistent chain, one flai:deploy at a time per project: a second one waits, then finds the
 * first one's deployment and registration (both would send from the same account: "nonce too low").
 * An in-process chain lives and dies with its process, so it needs none.
 */
async function lockPersistentChain(hre: HardhatRuntimeEnvironment, ui: Ui): Promise<() => Promise<void>> {
  const connection = await useConnection(hre);
  if (isEphemeral(connection)) return async () => {};
  return acquireDeployLock(hre.config.paths.ignition, await chainIdOf(connection), connection.networkName, {
    onWait: (holder) =>
      ui.line(
        `Waiting for another flai:deploy (pid ${holder.pid}, since ${holder.since}) to finish deploying to network "${holder.network}"…`,
      ),
  });
}

async function deployAndRegister(hre: HardhatRuntimeEnvironment, ui: Ui, attestationAuthority: string | undefined) {
  const deployment = await ui.progress("Deploying FLAIComputeJobs + FLAIFederated", () => hre.flai.jobs.deploy({ attestationAuthority }));
  ui.ok(
    `FLAIComputeJobs ${deployment.deployedNow ? "deployed" : "already deployed"} at ${deployment.address} ` +
      `(network ${deployment.networkName}, chain ${deployment.chainId})`,
  );
  ui.info("FLAIFederated", deployment.federated);
  const pinned = await hre.flai.jobs.attestationAuthority();
  ui.info("attestation authority", pinned);
  const own = getAddress((await devAuthority()).address);
  let enclave;
  let accepted;
  if (pinned === own) {
    enclave = await hre.flai.jobs.registerEnclave();
    ui.ok(
      enclave.txHashes.length === 0
        ? `Enclave ${enclave.signer} already registered`
        : `Enclave ${enclave.signer} registered for measurement ${enclave.measurement} (report by attestation authority ${enclave.authority})`,
    );
  } else {
    accepted = await hre.flai.jobs.acceptMeasurement();
    ui.ok(`Measurement ${accepted.measurement} ${accepted.txHash === undefined ? "already accepted" : "accepted"}`);
    ui.line(
      `The authority is another machine's: its host registers its enclave there with ` +
        `npx hardhat flai:enclave --register --network ${deployment.networkName}`,
    );
  }
  ui.line(
    `Participants set in hardhat.config.ts: flai: { deployments: { "${deployment.networkName}": ` +
      `{ jobs: "${deployment.address}", federated: "${deployment.federated}" } } }`,
  );
  ui.result({ ...deployment, federated: deployment.federated, attestationAuthority: pinned, enclave, accepted });
}
