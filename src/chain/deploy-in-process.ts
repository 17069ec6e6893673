import { ContractFactory, getAddress, type Signer } from "ethers";

import type { FlaiConnection } from "./connection.js";

import { loadFlaiArtifact } from "./artifact.js";

/**
 * FLAIComputeJobs + FLAIFederated deployed straight from the first account, as Ignition's modules
 * would (same constructor arguments, same account and nonces, hence the same addresses). Only for an
 * in-process chain: it lives as long as the connection, so there is no journal to keep, and loading
 * Ignition (~0.7 s of module loading) would cost more than both deployments together.
 */
export async function deployInProcess(
  connection: FlaiConnection,
  attestationAuthority: string,
): Promise<{ address: string; federated: string }> {
  const [owner] = await connection.ethers.getSigners();
  const jobs = await deploy(owner!, "FLAIComputeJobs", [await owner!.getAddress(), attestationAuthority]);
  const federated = await deploy(owner!, "FLAIFederated", [jobs]);
  return { address: jobs, federated };
}

async function deploy(owner: Signer, name: string, args: unknown[]): Promise<string> {
  const artifact = loadFlaiArtifact(name);
  const contract = await new ContractFactory(artifact.abi, artifact.bytecode, owner).deploy(...args);
  await contract.waitForDeployment();
  return getAddress(await contract.getAddress());
}
