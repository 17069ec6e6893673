import type { HardhatUserConfig } from "hardhat/config";
import type { HardhatUserConfigValidationError } from "hardhat/types/hooks";

import path from "node:path";

import { validateUserConfigZodType } from "@nomicfoundation/hardhat-zod-utils";
import { z } from "zod";

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
  enclave?: { path?: string; trainingTimeoutSeconds?: number };
  jobs?: { deadlineSeconds?: number };
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
  enclave: { path: string; trainingTimeoutSeconds: number };
  jobs: { deadlineSeconds: number };
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
      })
      .strict()
      .optional(),
    jobs: z.object({ deadlineSeconds: positiveInt.max(2 ** 32).optional() }).strict().optional(),
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
    },
    jobs: { deadlineSeconds: user?.jobs?.deadlineSeconds ?? DEFAULTS.deadlineSeconds },
    networkPresets: user?.networkPresets ?? true,
  };
}
