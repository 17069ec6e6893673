import { readFile, rm } from "node:fs/promises";
import path from "node:path";

import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { Contract, getAddress } from "ethers";

import { configuredDeployment, type FlaiDeploymentAddresses } from "../config.js";
import type { FlaiConnection } from "./connection.js";
import { flaiError } from "../errors.js";
import { applyIgnitionFeePolicy } from "./fee-data.js";

import { loadFlaiArtifact } from "./artifact.js";
import { deployInProcess } from "./deploy-in-process.js";
import { acquireDeployLock } from "./deploy-lock.js";

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

function deploymentDir(ignitionRoot: string, chainId: bigint): string {
  return path.join(ignitionRoot, "deployments", `chain-${chainId}`);
}

/** The addresses Ignition recorded for these futures on this chain (all of them), if any. */
async function recordedAddresses(ignitionRoot: string, chainId: bigint, futureIds: readonly string[]): Promise<string[] | undefined> {
  const file = path.join(deploymentDir(ignitionRoot, chainId), "deployed_addresses.json");
  try {
    const addresses = JSON.parse(await readFile(file, "utf8")) as Record<string, string>;
    const found = futureIds.map((id) => addresses[id]);
    return found.some((a) => a === undefined) ? undefined : found.map((a) => getAddress(a!));
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

/** Hardhat's local dev chain (`hardhat node`): restarting it forgets every contract, so its records go stale. */
const LOCAL_DEV_CHAIN_ID = 31337n;

/**
 * Ignition's record of `futureIds` on the connection's persistent chain, checked against that chain:
 * the recorded addresses when every one has code; undefined when nothing is recorded. A record whose
 * addresses have no code on a local dev node means the node was restarted: the record is stale and
 * is dropped (the whole chain's folder: a restart forgot all of it) so Ignition deploys afresh. On
 * any other chain that is an error naming `what`.
 */
export async function liveIgnitionRecord(
  ignitionRoot: string,
  connection: FlaiConnection,
  futureIds: readonly string[],
  what: string,
): Promise<string[] | undefined> {
  const chainId = await chainIdOf(connection);
  const recorded = await recordedAddresses(ignitionRoot, chainId, futureIds);
  if (recorded === undefined) {
    return undefined;
  }
  for (const address of recorded) {
    if (!(await hasCode(connection, address))) {
      if (chainId !== LOCAL_DEV_CHAIN_ID) {
        throw flaiError(
          `Ignition recorded ${what} at ${recorded.join(" / ")} on chain ${chainId}, but there is no contract at ${address}. ` +
            `Check that network "${connection.networkName}" points at the right RPC.`,
        );
      }
      await rm(deploymentDir(ignitionRoot, chainId), { recursive: true, force: true });
      return undefined;
    }
  }
  return recorded;
}

/**
 * Who is looking: a participant (client, aggregator host, verifier, reader) joins a deployment someone
 * else made and must never be sent to `flai:deploy` (that makes a second, empty deployment); a
 * deployer (the job submitter, the task creator) may make one.
 */
export type DeploymentRole = "participant" | "deployer";

export function noDeploymentError(networkName: string, chainId: bigint, role: DeploymentRole = "participant") {
  const configure =
    `set flai.deployments["${networkName}"] = { jobs: "0x…", federated: "0x…" } in hardhat.config.ts with the addresses ` +
    `the task creator printed (npx hardhat flai:fl-create --json prints them)`;
  return flaiError(
    `No hardhat-flai deployment is known for network "${networkName}" (chain ${chainId}): none is configured and Ignition ` +
      `recorded none in this project. To join an existing deployment, ${configure}.` +
      (role === "deployer" ? ` To make a new deployment of your own instead: npx hardhat flai:deploy --network ${networkName}` : ""),
  );
}

/**
 * The contracts `flai.deployments.<network>` names, checked on the chain: each configured address has
 * code; FLAIFederated's registry is the configured FLAIComputeJobs (or supplies it when only
 * `federated` is configured). Only `jobs` configured: a federated lookup fails with what to set.
 */
export async function configuredAddresses(
  connection: FlaiConnection,
  configured: FlaiDeploymentAddresses,
  chainId: bigint,
): Promise<{ address: string; federated: string }> {
  const where = `flai.deployments["${connection.networkName}"]`;
  for (const [key, address] of Object.entries(configured) as Array<[string, string | undefined]>) {
    if (address !== undefined && !(await hasCode(connection, address))) {
      throw flaiError(
        `${where}.${key} is ${address}, but there is no contract at that address on network "${connection.networkName}" ` +
          `(chain ${chainId}). Check the address against what the task creator printed, and that the network points at the right chain.`,
      );
    }
  }
  if (configured.federated === undefined) {
    return withoutFederated({ address: configured.jobs! }, where);
  }
  const registry = getAddress(await federatedRegistry(connection, configured.federated, where));
  if (configured.jobs !== undefined && registry !== configured.jobs) {
    throw flaiError(
      `${where}.federated ${configured.federated} uses the enclave registry (FLAIComputeJobs) ${registry}, but ${where}.jobs is ` +
        `${configured.jobs}. Set jobs to ${registry}, or leave it out (it is read from FLAIFederated).`,
    );
  }
  return { address: registry, federated: configured.federated };
}

async function federatedRegistry(connection: FlaiConnection, federated: string, where: string): Promise<string> {
  const contract = new Contract(federated, loadFlaiArtifact("FLAIFederated").abi, connection.ethers.provider);
  try {
    return (await contract.getFunction("registry")()) as string;
  } catch (error) {
    throw flaiError(
      `${where}.federated ${federated} is not a FLAIFederated contract (its registry() cannot be read). Check the address.`,
      error,
    );
  }
}

/** Only FLAIComputeJobs configured: reading `federated` says what to add, instead of using a wrong address. */
function withoutFederated(base: { address: string }, where: string): { address: string; federated: string } {
  return Object.defineProperty(base, "federated", {
    enumerable: false,
    get(): string {
      throw flaiError(
        `${where} names only FLAIComputeJobs (jobs); federated tasks need FLAIFederated too: add ${where}.federated = "0x…" (flai:fl-create --json prints it).`,
      );
    },
  }) as { address: string; federated: string };
}

export interface DeployOptions {
  /** Deploy through Ignition when no deployment is known. */
  deployIfMissing: boolean;
  role?: DeploymentRole;
  /** The authority a new FLAIComputeJobs pins; default flai.enclave.attestationAuthority, else `devAuthority`. */
  attestationAuthority?: string;
  /**
   * This machine's dev attestation authority (tee/attestation's devAuthorityAddress), asked for only
   * when a deployment is made and nothing else names one. Passed in: chain/ imports nothing from tee/.
   */
  devAuthority: () => Promise<string>;
}

/** One lookup per connection, shared by every part and runtime over it. */
const cache = new WeakMap<FlaiConnection, Promise<Deployment>>();

/**
 * hardhat-flai's contracts on the connection's chain: reused when Ignition recorded them (and they
 * have code); deployed through Ignition when missing and `deployIfMissing`; on an in-process chain
 * deployed on first use.
 */
export function resolveDeployment(
  hre: HardhatRuntimeEnvironment,
  connection: FlaiConnection,
  deployIfMissing: boolean,
  opts: Omit<DeployOptions, "deployIfMissing">,
): Promise<Deployment> {
  let pending = cache.get(connection);
  if (pending === undefined) {
    pending = lookUpOrDeploy(hre, connection, { ...opts, deployIfMissing: deployIfMissing || isEphemeral(connection) });
    cache.set(connection, pending);
    pending.catch(() => cache.delete(connection));
  }
  return pending;
}

async function lookUpOrDeploy(hre: HardhatRuntimeEnvironment, connection: FlaiConnection, opts: DeployOptions): Promise<Deployment> {
  const chainId = await chainIdOf(connection);
  const base = { chainId, networkName: connection.networkName };
  // A configured address is the user's word: it wins over Ignition's journal, and is checked on the chain.
  const configured = configuredDeployment(hre.config.flai, connection.networkName);
  if (configured !== undefined) {
    // Assigned onto the addresses object: it may carry a throwing `federated` getter (jobs-only config).
    return Object.assign(await configuredAddresses(connection, configured, chainId), base, { deployedNow: false });
  }
  if (!isEphemeral(connection)) {
    const recorded = await liveIgnitionRecord(
      hre.config.paths.ignition,
      connection,
      [JOBS_FUTURE_ID, FEDERATED_FUTURE_ID],
      "hardhat-flai's contracts",
    );
    if (recorded !== undefined) {
      const [address, federated] = recorded as [string, string];
      return { ...base, address, federated, deployedNow: false };
    }
    if (!opts.deployIfMissing) {
      throw noDeploymentError(connection.networkName, chainId, opts.role);
    }
  }
  // The authority is passed explicitly (the module's default is computed once, when it is first imported).
  const attestationAuthority = opts.attestationAuthority ?? hre.config.flai.enclave.attestationAuthority ?? (await opts.devAuthority());
  if (isEphemeral(connection)) return { ...base, ...(await deployInProcess(connection, attestationAuthority)), deployedNow: true };
  // One deployer at a time per chain in this project (issue 15): whoever waited finds the other's record.
  const release = await acquireDeployLock(hre.config.paths.ignition, chainId, connection.networkName);
  try {
    const recorded = await liveIgnitionRecord(
      hre.config.paths.ignition,
      connection,
      [JOBS_FUTURE_ID, FEDERATED_FUTURE_ID],
      "hardhat-flai's contracts",
    );
    if (recorded !== undefined) return { ...base, address: recorded[0]!, federated: recorded[1]!, deployedNow: false };
    return { ...base, ...(await deployThroughIgnition(connection, chainId, attestationAuthority)), deployedNow: true };
  } finally {
    await release();
  }
}

/** A persistent chain's deployment goes through Ignition, which records it for later processes. */
async function deployThroughIgnition(
  connection: FlaiConnection,
  chainId: bigint,
  attestationAuthority: string,
): Promise<{ address: string; federated: string }> {
  // Imported here: Ignition is large, and building the module reads the compiled artifacts.
  const { default: flaiModule } = await import("../../ignition/modules/FLAIFederated.js");
  await applyIgnitionFeePolicy(connection, chainId);
  const { jobs, federated } = await connection.ignition.deploy(flaiModule, {
    parameters: { FLAIComputeJobs: { attestationAuthority } },
  });
  return { address: getAddress(await jobs.getAddress()), federated: getAddress(await federated.getAddress()) };
}
