// npm run by the system Node 20 silently skips EDR's native package (its engines say node >= 22).
// npm runs this script with node_modules/.bin first on PATH, i.e. under the bundled Node 24, so a
// second install from here brings the native package in. The guard variable stops recursion.
import { spawnSync } from "node:child_process";

const GUARD = "HARDHAT_FLAI_EDR_REINSTALL";

// A fresh process each time: Node caches module resolution, so a retry in-process can lie.
function edrLoads() {
  const probe = spawnSync(process.execPath, ["-e", "require('@nomicfoundation/edr')"], { stdio: "ignore" });
  return probe.status === 0;
}

// Only for this repository itself: as an installed dependency hardhat-flai leaves the user's tree alone.
const isRootProject = process.env.INIT_CWD === undefined || process.env.INIT_CWD === process.cwd();

if (isRootProject && process.env[GUARD] === undefined && !edrLoads()) {
  const npmCli = process.env.npm_execpath;
  if (npmCli === undefined) {
    console.error("hardhat-flai: EDR native package missing and npm_execpath unknown; run `npx npm install` once.");
    process.exit(1);
  }
  console.log(`hardhat-flai: installing EDR's native package under Node ${process.versions.node}`);
  const result = spawnSync(process.execPath, [npmCli, "install", "--no-audit", "--no-fund", "--ignore-scripts"], {
    stdio: "inherit",
    env: { ...process.env, [GUARD]: "1" },
  });
  if (result.status !== 0 || !edrLoads()) {
    console.error("hardhat-flai: could not install @nomicfoundation/edr's native package; see the npm output above.");
    process.exit(1);
  }
}
