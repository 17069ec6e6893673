import { readFile, rm } from "node:fs/promises";
import path from "node:path";

import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { getAddress } from "ethers";

import type { FlaiConnection } from "../connection.js";
import { flaiError } from "../errors.js";

export const JOBS_FUTURE_ID = "FLAIComputeJobs#FLAIComputeJobs";
export const FEDERATED_FUTURE_ID = "FLAIFederated#FLAIFederated";

export interface Deployment {
  /** FLAIComputeJobs: the job escrow and the enclave registry. */
  address: string;
  /** FLAIFederated: the federated rounds. */
  federated: string;
  chainId: bigint;
  networkName: string;
  /** True when this call deployed it; false when an earlier deployment was reused. */
  deployedNow: boolean;
}

/** An in-process chain lives as long as its connection, and so does a deployment on it. */
export function isEphemeral(connection: FlaiConnection): boolean {
  return connection.networkConfig.type === "edr-simulated";
}

export async function chainIdOf(connection: FlaiConnection): Promise<bigint> {
  return BigInt((await connection.provider.request({ method: "eth_chainId" })) as string);
}

function deploymentDir(hre: HardhatRuntimeEnvironment, chainId: bigint): string {
  return path.join(hre.config.paths.ignition, "deployments", `chain-${chainId}`);
}

/** The addresses Ignition recorded for hardhat-flai's contracts on this chain, if any. */
export async function recordedAddresses(
  hre: HardhatRuntimeEnvironment,
  chainId: bigint,
): Promise<{ jobs: string; federated: string } | undefined> {
  const file = path.join(deploymentDir(hre, chainId), "deployed_addresses.json");
  try {
    const addresses = JSON.parse(await readFile(file, "utf8")) as Record<string, string>;
    const [jobs, federated] = [addresses[JOBS_FUTURE_ID], addresses[FEDERATED_FUTURE_ID]];
    return jobs === undefined || federated === undefined ? undefined : { jobs: getAddress(jobs), federated: getAddress(federated) };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") {
      return undefined;
    }
    throw flaiError(`Ignition's deployment record ${file} is unreadable: ${(error as Error).message}`, error);
  }
}

export async function hasCode(connection: FlaiConnection, address: string): Promise<boolean> {
  const code = (await connection.provider.request({ method: "eth_getCode", params: [address, "latest"] })) as string;
  return code !== "0x" && code !== "0x0";
}

/**
 * A record whose address has no code on a local dev node means the node was restarted: the record
 * is stale and is dropped so a fresh deployment can be made. On any other chain that is an error.
 */
export async function dropStaleLocalRecord(hre: HardhatRuntimeEnvironment, chainId: bigint): Promise<void> {
  await rm(deploymentDir(hre, chainId), { recursive: true, force: true });
}

export function noDeploymentError(networkName: string, chainId: bigint) {
  return flaiError(
    `No FLAIComputeJobs deployment found for network "${networkName}" (chain ${chainId}). ` +
      `Deploy it first: npx hardhat flai:deploy --network ${networkName}`,
  );
}

/** One lookup per connection, shared by every part and runtime over it. */
const cache = new WeakMap<FlaiConnection, Promise<Deployment>>();

/**
 * hardhat-flai's contracts on the connection's chain: reused when Ignition recorded them (and they
 * have code); deployed through Ignition when missing and `deployIfMissing`; on an in-process chain
 * deployed on first use.
 */
export function resolveDeployment(hre: HardhatRuntimeEnvironment, connection: FlaiConnection, deployIfMissing: boolean): Promise<Deployment> {
  let pending = cache.get(connection);
  if (pending === undefined) {
    pending = lookUpOrDeploy(hre, connection, deployIfMissing || isEphemeral(connection));
    cache.set(connection, pending);
    pending.catch(() => cache.delete(connection));
  }
  return pending;
}

async function lookUpOrDeploy(hre: HardhatRuntimeEnvironment, connection: FlaiConnection, deployIfMissing: boolean): Promise<Deployment> {
  const chainId = await chainIdOf(connection);
  const base = { chainId, networkName: connection.networkName };
  if (!isEphemeral(connection)) {
    const recorded = await recordedAddresses(hre, chainId);
    if (recorded !== undefined && (await hasCode(connection, recorded.jobs)) && (await hasCode(connection, recorded.federated))) {
      return { ...base, address: recorded.jobs, federated: recorded.federated, deployedNow: false };
    }
    if (recorded !== undefined && chainId !== 31337n) {
      throw flaiError(
        `Ignition recorded hardhat-flai's contracts at ${recorded.jobs} / ${recorded.federated} on chain ${chainId}, but there is ` +
          `no contract there. Check that network "${connection.networkName}" points at the right RPC.`,
      );
    }
    if (recorded !== undefined) {
      await dropStaleLocalRecord(hre, chainId); // a restarted local node forgot them
    }
    if (!deployIfMissing) {
      throw noDeploymentError(connection.networkName, chainId);
    }
  }
  // Imported here: building the module reads the compiled artifacts, which must not happen at load.
  const { default: flaiModule } = await import("../../ignition/modules/FLAIFederated.js");
  const { jobs, federated } = await connection.ignition.deploy(flaiModule);
  return {
    ...base,
    address: getAddress(await jobs.getAddress()),
    federated: getAddress(await federated.getAddress()),
    deployedNow: true,
  };
}
