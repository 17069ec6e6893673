import { createRequire } from "node:module";

import hardhatEthers from "@nomicfoundation/hardhat-ethers";
import hardhatIgnitionEthers from "@nomicfoundation/hardhat-ignition-ethers";
import hardhatMocha from "@nomicfoundation/hardhat-mocha";
import { defineConfig } from "hardhat/config";

import flai from "./src/index.js";

const require = createRequire(import.meta.url);

export default defineConfig({
  plugins: [hardhatEthers, hardhatIgnitionEthers, hardhatMocha, flai],
  solidity: {
    // Hardhat cannot download compilers here: the npm `solc` package's soljson.js is used as solc-js.
    version: "0.8.28",
    path: require.resolve("solc/soljson.js"),
    settings: { optimizer: { enabled: true, runs: 10_000 }, evmVersion: "cancun" },
  },
  test: {
    solidity: {
      // Run counts come from the environment: the defaults are the CI profile; `npm run test:invariants`
      // is the 10,000-run profile. EDR runs every `invariant_*` function (test/solidity/invariants/) as its
      // own campaign of `runs` random sequences of `depth` handler calls.
      fuzz: { runs: Number(process.env.FLAI_FUZZ_RUNS ?? 256) },
      invariant: {
        runs: Number(process.env.FLAI_INVARIANT_RUNS ?? 128),
        depth: Number(process.env.FLAI_INVARIANT_DEPTH ?? 32),
        // The handlers catch every expected revert themselves: a handler revert is a bug.
        failOnRevert: true,
      },
    },
  },
});
