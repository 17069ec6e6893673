import type { HardhatUserConfig } from "hardhat/config";
import type { HardhatUserConfigValidationError } from "hardhat/types/hooks";

import path from "node:path";

import { validateUserConfigZodType } from "@nomicfoundation/hardhat-zod-utils";
import { z } from "zod";

/** What a user may write under `flai` in hardhat.config.ts. */
export interface FlaiUserConfig {
  storage?: { backend?: "local"; path?: string };
  enclave?: { path?: string; trainingTimeoutSeconds?: number };
  jobs?: { deadlineSeconds?: number };
  /** Add the `galileo` and `zerog-mainnet` networks unless already defined (default true). */
  networkPresets?: boolean;
}

/** The resolved `hre.config.flai`: every field present, every path absolute. */
export interface FlaiConfig {
  storage: { backend: "local"; path: string };
  enclave: { path: string; trainingTimeoutSeconds: number };
  jobs: { deadlineSeconds: number };
  networkPresets: boolean;
}

export const DEFAULTS = {
  storagePath: ".flai/storage",
  enclavePath: ".flai/enclave",
  trainingTimeoutSeconds: 600,
  deadlineSeconds: 24 * 60 * 60,
} as const;

const relativeOrAbsolutePath = z.string().min(1, "must be a non-empty path");
const positiveInt = z.number().int("must be a whole number").positive("must be greater than 0");

const flaiUserConfigSchema = z
  .object({
    storage: z
      .object({
        backend: z.literal("local", { errorMap: () => ({ message: 'must be "local"' }) }).optional(),
        path: relativeOrAbsolutePath.optional(),
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
    storage: { backend: user?.storage?.backend ?? "local", path: at(user?.storage?.path, DEFAULTS.storagePath) },
    enclave: {
      path: at(user?.enclave?.path, DEFAULTS.enclavePath),
      trainingTimeoutSeconds: user?.enclave?.trainingTimeoutSeconds ?? DEFAULTS.trainingTimeoutSeconds,
    },
    jobs: { deadlineSeconds: user?.jobs?.deadlineSeconds ?? DEFAULTS.deadlineSeconds },
    networkPresets: user?.networkPresets ?? true,
  };
}
