import { readFile, rm } from "node:fs/promises";
import path from "node:path";

import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { getAddress } from "ethers";

import type { FlaiConnection } from "../connection.js";
import { flaiError } from "../errors.js";

export const JOBS_FUTURE_ID = "FLAIComputeJobs#FLAIComputeJobs";

export interface Deployment {
  address: string;
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

/** The address Ignition recorded for the jobs contract on this chain, if any. */
export async function recordedAddress(hre: HardhatRuntimeEnvironment, chainId: bigint): Promise<string | undefined> {
  const file = path.join(deploymentDir(hre, chainId), "deployed_addresses.json");
  try {
    const addresses = JSON.parse(await readFile(file, "utf8")) as Record<string, string>;
    const address = addresses[JOBS_FUTURE_ID];
    return address === undefined ? undefined : getAddress(address);
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
