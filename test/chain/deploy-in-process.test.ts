// On an in-process chain hardhat-flai deploys its contracts with ethers instead of Ignition (loading
// Ignition took longer than both deployments): the result must be what Ignition's modules make.
import assert from "node:assert/strict";

import { Contract, Wallet } from "ethers";

import FLAIFederatedModule from "../../ignition/modules/FLAIFederated.js";
import { loadFlaiArtifact } from "../../src/chain/artifact.js";

import { tempProject } from "../helpers/project.js";

const AUTHORITY = Wallet.createRandom().address;

async function stateOf(
  connection: Awaited<ReturnType<Awaited<ReturnType<typeof tempProject>>["hre"]["network"]["create"]>>,
  jobs: string,
  federated: string,
) {
  const provider = connection.ethers.provider;
  const jobsContract = new Contract(jobs, loadFlaiArtifact("FLAIComputeJobs").abi, provider);
  const federatedContract = new Contract(federated, loadFlaiArtifact("FLAIFederated").abi, provider);
  return {
    jobs,
    federated,
    jobsCode: await provider.getCode(jobs),
    federatedCode: await provider.getCode(federated),
    owner: (await jobsContract.getFunction("owner")()) as string,
    authority: (await jobsContract.getFunction("attestationAuthority")()) as string,
    registry: (await federatedContract.getFunction("registry")()) as string,
  };
}

describe("deployment on an in-process chain", () => {
  it("deploys without Ignition what Ignition's modules deploy: same addresses, code, owner, authority, registry", async () => {
    const { hre } = await tempProject();
    const ours = await hre.network.create();
    const deployment = await hre.flai.jobs.deploy({ connection: ours, attestationAuthority: AUTHORITY });
    assert.equal(deployment.deployedNow, true);

    const reference = await hre.network.create();
    const { jobs, federated } = await reference.ignition.deploy(FLAIFederatedModule, {
      parameters: { FLAIComputeJobs: { attestationAuthority: AUTHORITY } },
    });
    const expected = await stateOf(reference, await jobs.getAddress(), await federated.getAddress());

    assert.deepEqual(await stateOf(ours, deployment.address, deployment.federated), expected);
    assert.equal(expected.authority, AUTHORITY);
    assert.equal(expected.registry, expected.jobs);
    assert.equal(expected.owner, (await ours.ethers.getSigners())[0]!.address);
  });

  it("deploys once per connection: a second lookup reuses it", async () => {
    const { hre } = await tempProject();
    const connection = await hre.network.create();
    const first = await hre.flai.jobs.deployment({ connection });
    const again = await hre.flai.jobs.deployment({ connection });
    assert.deepEqual(again, first);
  });
});
