// The demo's work without its one-time costs, for bench/e2e/demo.ts's floor: `npx hardhat run
// --no-compile bench/e2e/_demo-work.ts` runs the flai:demo task twice in one process and prints how
// long the second run took. By then Hardhat, the plugin and every module the demo imports are loaded
// and the enclave worker is up, so that figure is the demo's own work (deploys, a training job, two
// federated rounds of three clients, the market flow with a fresh compute devnet), nothing else.
import hre from "hardhat";

const demo = hre.tasks.getTask("flai:demo");
await demo.run({});
const start = performance.now();
await demo.run({});
console.log(`DEMO_WORK_MS=${(performance.now() - start).toFixed(1)}`);
