import type { HardhatUserConfig } from "hardhat/config";
import type { HardhatUserConfigValidationError } from "hardhat/types/hooks";

import path from "node:path";

import { validateUserConfigZodType } from "@nomicfoundation/hardhat-zod-utils";
import { getAddress } from "ethers";
import { z } from "zod";

/** hardhat-flai's contracts on one network, as a participant who did not deploy them names them. */
export interface FlaiDeploymentAddresses {
  /** FLAIComputeJobs: the job escrow and the enclave registry. */
  jobs?: string;
  /** FLAIFederated: the federated rounds. */
  federated?: string;
}

/** What a user may write under `flai` in hardhat.config.ts. */
export interface FlaiUserConfig {
  storage?: {
    /** "local": content-addressed folder; "0g": 0G Storage through the official SDK (an indexer). */
    backend?: "local" | "0g";
    path?: string;
    /** 0G indexer; defaults to the public one of galileo / zerog-mainnet, required elsewhere. */
    indexerUrl?: string;
    /** EVM RPC the 0G SDK reads fees through; defaults to the network's own URL. */
    evmRpc?: string;
    /** Longest an SDK step may go without progress. */
    timeoutSeconds?: number;
    /** Retries of transient RPC/HTTP failures. */
    retries?: number;
  };
  enclave?: {
    path?: string;
    trainingTimeoutSeconds?: number;
    /**
     * The attestation authority `flai:deploy` pins in FLAIComputeJobs: the address another machine's
     * `flai:enclave` prints (its dev authority), or a real TEE verifier's. Default: this machine's.
     */
    attestationAuthority?: string;
  };
  jobs?: { deadlineSeconds?: number };
  /**
   * Contract addresses per network name, used before Ignition's journal: how a participant that did
   * not deploy reaches the deployment (`flai:fl-create --json` prints the addresses).
   */
  deployments?: Record<string, FlaiDeploymentAddresses>;
  /** Add the `galileo` and `zerog-mainnet` networks unless already defined (default true). */
  networkPresets?: boolean;
}

/** The resolved `hre.config.flai`: every field present, every path absolute. */
export interface FlaiConfig {
  storage: {
    backend: "local" | "0g";
    path: string;
    indexerUrl: string | undefined;
    evmRpc: string | undefined;
    timeoutSeconds: number;
    retries: number;
  };
  enclave: { path: string; trainingTimeoutSeconds: number; attestationAuthority: string | undefined };
  jobs: { deadlineSeconds: number };
  /** Checksummed addresses per network name; a network without an entry is absent. */
  deployments: Record<string, FlaiDeploymentAddresses>;
  networkPresets: boolean;
}

export const DEFAULTS = {
  storagePath: ".flai/storage",
  storageTimeoutSeconds: 300,
  storageRetries: 3,
  enclavePath: ".flai/enclave",
  trainingTimeoutSeconds: 600,
  deadlineSeconds: 24 * 60 * 60,
} as const;

const relativeOrAbsolutePath = z.string().min(1, "must be a non-empty path");
const httpUrl = z.string().regex(/^https?:\/\/[^\s]+$/, "must be an http(s) URL, like https://indexer-storage-testnet-turbo.0g.ai");
const positiveInt = z.number().int("must be a whole number").positive("must be greater than 0");
/** An address: 20 bytes hex; mixed case must carry a valid EIP-55 checksum (a mistyped character is caught). */
const address = z.string().superRefine((value, ctx) => {
  if (!/^0x[0-9a-fA-F]{40}$/.test(value)) {
    ctx.addIssue({ code: z.ZodIssueCode.custom, message: 'must be an address: "0x" followed by 40 hex characters' });
  } else if (!isAddressWithValidChecksum(value)) {
    ctx.addIssue({ code: z.ZodIssueCode.custom, message: "has an invalid EIP-55 checksum: a character was mistyped; copy the address again" });
  }
});
const deploymentAddresses = z
  .object({ jobs: address.optional(), federated: address.optional() })
  .strict()
  .refine((d) => d.jobs !== undefined || d.federated !== undefined, 'must name at least one contract: { jobs: "0x…" } and/or { federated: "0x…" }');

const flaiUserConfigSchema = z
  .object({
    storage: z
      .object({
        backend: z.enum(["local", "0g"], { errorMap: () => ({ message: 'must be "local" or "0g"' }) }).optional(),
        path: relativeOrAbsolutePath.optional(),
        indexerUrl: httpUrl.optional(),
        evmRpc: httpUrl.optional(),
        timeoutSeconds: positiveInt.optional(),
        retries: z.number().int("must be a whole number").min(0, "must be 0 or more").max(20, "must be at most 20").optional(),
      })
      .strict()
      .optional(),
    enclave: z
      .object({
        path: relativeOrAbsolutePath.optional(),
        trainingTimeoutSeconds: positiveInt.optional(),
        attestationAuthority: address.optional(),
      })
      .strict()
      .optional(),
    jobs: z.object({ deadlineSeconds: positiveInt.max(2 ** 32).optional() }).strict().optional(),
    deployments: z.record(z.string().min(1, "must be a network name"), deploymentAddresses).optional(),
    networkPresets: z.boolean().optional(),
  })
  .strict();

export function validateFlaiUserConfig(userConfig: HardhatUserConfig): HardhatUserConfigValidationError[] {
  return validateUserConfigZodType(userConfig, z.object({ flai: flaiUserConfigSchema.optional() }));
}

export function resolveFlaiConfig(user: FlaiUserConfig | undefined, projectRoot: string): FlaiConfig {
  const at = (p: string | undefined, fallback: string) => path.resolve(projectRoot, p ?? fallback);
  return {
    storage: {
      backend: user?.storage?.backend ?? "local",
      path: at(user?.storage?.path, DEFAULTS.storagePath),
      indexerUrl: user?.storage?.indexerUrl,
      evmRpc: user?.storage?.evmRpc,
      timeoutSeconds: user?.storage?.timeoutSeconds ?? DEFAULTS.storageTimeoutSeconds,
      retries: user?.storage?.retries ?? DEFAULTS.storageRetries,
    },
    enclave: {
      path: at(user?.enclave?.path, DEFAULTS.enclavePath),
      trainingTimeoutSeconds: user?.enclave?.trainingTimeoutSeconds ?? DEFAULTS.trainingTimeoutSeconds,
      attestationAuthority: optionalAddress(user?.enclave?.attestationAuthority),
    },
    jobs: { deadlineSeconds: user?.jobs?.deadlineSeconds ?? DEFAULTS.deadlineSeconds },
    deployments: resolveDeployments(user?.deployments),
    networkPresets: user?.networkPresets ?? true,
  };
}

function isAddressWithValidChecksum(value: string): boolean {
  try {
    getAddress(value);
    return true;
  } catch {
    return false;
  }
}

/** Validated addresses are checksummed here, so every comparison downstream is exact. */
function optionalAddress(value: string | undefined): string | undefined {
  return value === undefined ? undefined : getAddress(value);
}

function resolveDeployments(user: Record<string, FlaiDeploymentAddresses> | undefined): Record<string, FlaiDeploymentAddresses> {
  const resolved: Record<string, FlaiDeploymentAddresses> = {};
  for (const [network, addresses] of Object.entries(user ?? {})) {
    resolved[network] = {
      ...(addresses.jobs === undefined ? {} : { jobs: getAddress(addresses.jobs) }),
      ...(addresses.federated === undefined ? {} : { federated: getAddress(addresses.federated) }),
    };
  }
  return resolved;
}

/** The addresses configured for a network (`flai.deployments.<network>`), if any. */
export function configuredDeployment(config: Pick<FlaiConfig, "deployments">, networkName: string): FlaiDeploymentAddresses | undefined {
  return Object.hasOwn(config.deployments, networkName) ? config.deployments[networkName] : undefined;
}
