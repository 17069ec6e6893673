import type { HardhatUserConfig } from "hardhat/config";
import type { HardhatUserConfigValidationError } from "hardhat/types/hooks";

import path from "node:path";

import { validateUserConfigZodType } from "@nomicfoundation/hardhat-zod-utils";
import { getAddress } from "ethers";
import { z } from "zod";

import { MAX_DEADLINE_SECONDS } from "./limits.js";
import { DEFAULT_ENCLAVE_DIR, DEFAULT_STORAGE_DIR } from "./paths.js";

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
   * Defaults for the market tasks (flai:market-*, flai:demo) when their option is left out. The
   * FLAI_PROVIDER, FLAI_PROMPT and FLAI_LEDGER_OG environment variables still work as a fallback
   * below these (market/settings.ts); an option given on the command line wins over both.
   */
  market?: {
    /** The provider to set up, ping and call (an address); else FLAI_PROVIDER, else the first one listed. */
    provider?: string;
    /** The prompt flai:market-ping and flai:demo send; else FLAI_PROMPT, else a greeting. */
    prompt?: string;
    /** 0G the compute ledger should hold ("5"); else FLAI_LEDGER_OG, else the minimum for a new ledger. */
    ledger?: string;
  };
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
  market: FlaiMarketSettings;
  /** Checksummed addresses per network name; a network without an entry is absent. */
  deployments: Record<string, FlaiDeploymentAddresses>;
  networkPresets: boolean;
}

/** flai.market as set in the config: a field left out is undefined (the environment may fill it at use). */
export interface FlaiMarketSettings {
  /** Checksummed provider address. */
  provider: string | undefined;
  prompt: string | undefined;
  /** A 0G amount in decimals, trimmed. */
  ledger: string | undefined;
}

export const DEFAULTS = {
  storagePath: DEFAULT_STORAGE_DIR,
  storageTimeoutSeconds: 300,
  storageRetries: 3,
  enclavePath: DEFAULT_ENCLAVE_DIR,
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
    ctx.addIssue({
      code: z.ZodIssueCode.custom,
      message: "has an invalid EIP-55 checksum: a character was mistyped; copy the address again",
    });
  }
});
/** A 0G amount in decimals ("5", "3.5"), as --ledger takes it. */
const amount0G = z
  .string()
  .regex(/^\s*(?:0|[1-9]\d*)(?:\.\d{1,18})?\s*$/, 'must be a 0G amount in decimals, like "5" or "3.5"')
  .refine((value) => !/^\s*0(?:\.0*)?\s*$/.test(value), "must be greater than 0");
const deploymentAddresses = z
  .object({ jobs: address.optional(), federated: address.optional() })
  .strict()
  .refine(
    (d) => d.jobs !== undefined || d.federated !== undefined,
    'must name at least one contract: { jobs: "0x…" } and/or { federated: "0x…" }',
  );

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
    jobs: z
      .object({
        deadlineSeconds: positiveInt
          .max(MAX_DEADLINE_SECONDS, `must be at most ${MAX_DEADLINE_SECONDS} (FLAIFederated's uint32 round duration, which it also sets)`)
          .optional(),
      })
      .strict()
      .optional(),
    market: z
      .object({
        provider: address.optional(),
        prompt: z.string().min(1, "must be a non-empty prompt").optional(),
        ledger: amount0G.optional(),
      })
      .strict()
      .optional(),
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
    market: {
      provider: optionalAddress(user?.market?.provider),
      prompt: user?.market?.prompt,
      ledger: user?.market?.ledger?.trim(),
    },
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
