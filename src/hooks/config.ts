import type { ConfigHooks } from "hardhat/types/hooks";

import { resolveFlaiConfig, validateFlaiUserConfig } from "../config.js";
import { withFeePolicy, withNetworkPresets } from "../chain/networks.js";

export default async (): Promise<Partial<ConfigHooks>> => ({
  extendUserConfig: async (config, next) => withFeePolicy(withNetworkPresets(await next(config))),
  validateUserConfig: async (userConfig) => validateFlaiUserConfig(userConfig),
  resolveUserConfig: async (userConfig, resolveConfigurationVariable, next) => {
    const resolved = await next(userConfig, resolveConfigurationVariable);
    return { ...resolved, flai: resolveFlaiConfig(userConfig.flai, resolved.paths.root) };
  },
});
