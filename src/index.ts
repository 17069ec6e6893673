import { definePlugin } from "hardhat/plugins";

import "./type-extensions.js";

import { taskDefinitions } from "./task-definitions.js";

const hardhatFlaiPlugin = definePlugin({
  id: "hardhat-flai",
  npmPackage: "hardhat-flai",
  dependencies: () => [
    import("@nomicfoundation/hardhat-ethers"),
    import("@nomicfoundation/hardhat-ignition-ethers"),
  ],
  hookHandlers: {
    config: () => import("./hooks/config.js"),
    hre: () => import("./hooks/hre.js"),
  },
  tasks: taskDefinitions,
});

export default hardhatFlaiPlugin;

export type { FlaiConfig, FlaiUserConfig } from "./config.js";
export type { FlaiRuntime } from "./runtime.js";
export { ZEROG_CHAINS, zeroGNetwork, PRIVATE_KEY_VARIABLE } from "./chain/networks.js";
