// The floor of "our plugin's start-up cost" (startup.ts): this project's config without hardhat-flai
// (hardhat-ethers, Ignition, mocha: what a user's project has), over the same artifacts, so Hardhat's
// contract decoder reads the same build info in both.
import path from "node:path";

import hardhatEthers from "@nomicfoundation/hardhat-ethers";
import hardhatIgnitionEthers from "@nomicfoundation/hardhat-ignition-ethers";
import hardhatMocha from "@nomicfoundation/hardhat-mocha";
import { defineConfig } from "hardhat/config";

const ROOT = path.resolve(import.meta.dirname, "../..");
// startup.ts points this at an empty folder for the row without build info (the decoder's share).
const ARTIFACTS = process.env.FLAI_BENCH_ARTIFACTS ?? path.join(ROOT, "artifacts");

export default defineConfig({
  plugins: [hardhatEthers, hardhatIgnitionEthers, hardhatMocha],
  paths: {
    artifacts: ARTIFACTS,
    cache: path.join(ROOT, "cache"),
    sources: path.join(ROOT, "contracts"),
  },
  solidity: { version: "0.8.28" },
});
