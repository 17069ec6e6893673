// Run by test/e2e/startup-lazy.test.ts in its own process: records every module URL this process loads
// while it creates a Hardhat runtime with hardhat-flai, reads hre.flai and deploys hardhat-flai's
// contracts on the in-process chain, then prints them as JSON. Module caches are per process, hence
// a process of its own.
import { registerHooks } from "node:module";

if (process.argv[1] === import.meta.filename) {
  const loaded: string[] = [];
  registerHooks({
    resolve(specifier, context, nextResolve) {
      const resolved = nextResolve(specifier, context);
      loaded.push(resolved.url);
      return resolved;
    },
  });
  const { createHardhatRuntimeEnvironment } = await import("hardhat/hre");
  const { default: flai } = await import("../../src/index.js");
  const { tempProject } = await import("./project.js");
  const { root } = await tempProject();
  const hre = await createHardhatRuntimeEnvironment({ plugins: [flai] }, {}, root);
  const connection = await hre.network.create();
  await hre.flai.jobs.deployment({ connection });
  console.log(JSON.stringify([...new Set(loaded)]));
  process.exit(0);
}
