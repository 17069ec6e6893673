// `npm run demo` as a whole command (issue 14): spawn to exit, with the time of its last line (a gap
// is the process held open after its work). Floor, measured in the same run, each part a median of
// runs interleaved with the demo's (a, b, c, a, b, c, …) so that load falls on all alike:
//   - Hardhat start-up with hardhat-flai and the in-process chain (`npx hardhat run --no-compile
//     bench/e2e/_connect.ts`, as startup.ts measures it; npx is npm exec, the launcher npm run uses);
//   - the demo's own work: bench/e2e/_demo-work.ts runs the flai:demo task twice in one process and
//     times the second run, when every module it imports is loaded and the enclave worker is up (the
//     same deploys, training job, federated rounds and paid inference; its deployment and enclave
//     registration are already on the chain, so if anything it does less than the first run).
// measured − floor is then what a first run pays once: importing the demo's code (the compute SDK
// bundle, the federated and market modules, through tsx), the enclave worker's start-up, and the exit.
// Run alone: `npx tsx bench/e2e/demo.ts`.
import path from "node:path";

import { interleaved, median, type Timed } from "./_spawn.js";
import type { Row } from "./row.js";

const ROOT = path.resolve(import.meta.dirname, "../..");
const RUNS = Number(process.env.DEMO_RUNS ?? 3);
const hardhatRun = (file: string) => ({
  command: "npx",
  args: ["hardhat", "run", "--no-compile", path.join("bench", "e2e", file)],
  cwd: ROOT,
});

/** The second in-process run's time, as _demo-work.ts prints it. */
function workMs(run: Timed): number {
  const match = /DEMO_WORK_MS=([\d.]+)/.exec(run.stdout);
  if (match === null) throw new Error(`bench/e2e/_demo-work.ts printed no DEMO_WORK_MS:\n${run.stdout.slice(-2000)}`);
  return Number(match[1]);
}

const middle = (values: number[]) => median(values.map((ms) => ({ ms }) as Timed));

export async function measure(): Promise<Row[]> {
  const [demos, startups, works] = await interleaved(RUNS, [
    { command: "npm", args: ["run", "--silent", "demo"], cwd: ROOT },
    hardhatRun("_connect.ts"),
    hardhatRun("_demo-work.ts"),
  ]);
  for (const demo of demos!) {
    if (!demo.stdout.includes("Ledger after:")) throw new Error(`npm run demo did not print the whole flow:\n${demo.stdout.slice(-2000)}`);
  }
  const demoMs = median(demos!);
  const startupMs = median(startups!);
  const work = middle(works!.map(workMs));
  const lastLine = middle(demos!.map((d) => d.lastOutputMs));
  return [
    {
      row: "npm run demo",
      measuredMs: demoMs,
      floorMs: startupMs + work,
      floorWhat: `Hardhat start-up with hardhat-flai and the in-process chain (${startupMs.toFixed(0)} ms) + the demo's work in a warm process (${work.toFixed(0)} ms), this run`,
      note: `medians of ${RUNS} interleaved; last line at ${lastLine.toFixed(0)} ms; the rest over the floor is a first run's imports (compute SDK, federated and market code via tsx) and the enclave worker's start-up`,
    },
  ];
}

if (process.argv[1] === import.meta.filename) {
  for (const row of await measure()) console.log(JSON.stringify({ bench: "e2e", ...row, ratio: row.measuredMs / row.floorMs }));
  process.exit(0);
}
