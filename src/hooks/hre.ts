import type { HardhatRuntimeEnvironmentHooks } from "hardhat/types/hooks";

import { createFlaiRuntime } from "../runtime.js";

export default async (): Promise<Partial<HardhatRuntimeEnvironmentHooks>> => ({
  created: async (_context, hre) => {
    hre.flai = createFlaiRuntime(hre);
  },
});
