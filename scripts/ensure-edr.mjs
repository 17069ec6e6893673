// The repository's own set-up step, run by npm as part of `prepare` — i.e. only in a checkout of
// hardhat-flai (`npm ci` / `npm install` here, or npm preparing a git dependency), never when a
// user installs the packed package, which carries no install scripts at all.
//
// npm run by the system Node 20 silently skips EDR's native package (its engines say node >= 22).
// npm runs lifecycle scripts with node_modules/.bin first on PATH, i.e. under the bundled Node 24,
// so a second install from here brings the native package in. The guard variable stops recursion.
import { spawnSync } from "node:child_process";

const GUARD = "HARDHAT_FLAI_EDR_REINSTALL";

// A fresh process each time: Node caches module resolution, so a retry in-process can lie.
function edrLoads() {
  const probe = spawnSync(process.execPath, ["-e", "require('@nomicfoundation/edr')"], { stdio: "ignore" });
  return probe.status === 0;
}

if (process.env[GUARD] === undefined && !edrLoads()) {
  const npmCli = process.env.npm_execpath;
  if (npmCli === undefined) {
    console.error("hardhat-flai: EDR native package missing and npm_execpath unknown; run `npx npm install` once.");
    process.exit(1);
  }
  console.log(`hardhat-flai: installing EDR's native package under Node ${process.versions.node}`);
  // --ignore-scripts: this step's own prepare must not run again inside it; the lock is already
  // consistent, so the install adds the one missing package and rewrites nothing.
  const result = spawnSync(process.execPath, [npmCli, "install", "--no-audit", "--no-fund", "--ignore-scripts"], {
    stdio: "inherit",
    env: { ...process.env, [GUARD]: "1" },
  });
  if (result.status !== 0 || !edrLoads()) {
    console.error("hardhat-flai: could not install @nomicfoundation/edr's native package; see the npm output above.");
    process.exit(1);
  }
}
