import "hardhat/types/config";
import "hardhat/types/hre";

import type { FlaiConfig, FlaiUserConfig } from "./config.js";
import type { FlaiRuntime } from "./runtime.js";

declare module "hardhat/types/config" {
  interface HardhatUserConfig {
    flai?: FlaiUserConfig;
  }

  interface HardhatConfig {
    flai: FlaiConfig;
  }
}

declare module "hardhat/types/hre" {
  interface HardhatRuntimeEnvironment {
    flai: FlaiRuntime;
  }
}
