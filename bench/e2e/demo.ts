// `npm run demo` as a whole command (issue 14): spawn to exit, with the time of its last line (a gap
// is the process held open after its work). Floor, measured in the same run: Hardhat start-up with
// the in-process chain (startup.ts) plus the work itself, taken as the demo's main-thread CPU after
// start-up in a profile (~0.5 s: deploys, a training job, 2 federated rounds of 3 clients, one paid
// inference). Run alone: `npx tsx bench/e2e/demo.ts`.
import path from "node:path";

import { bestOf } from "./_spawn.js";
import type { Row } from "./row.js";
import { hardhatWithChain } from "./startup.js";

const ROOT = path.resolve(import.meta.dirname, "../..");
const RUNS = 2;
/** The demo's own work once Hardhat is up, from a --cpu-prof of the whole command (see the README). */
const WORK_MS = 500;

export async function measure(): Promise<Row[]> {
  const demo = await bestOf(RUNS, "npm", ["run", "--silent", "demo"], ROOT);
  if (!demo.stdout.includes("Ledger after:")) {
    throw new Error(`npm run demo did not print the whole flow:\n${demo.stdout.slice(-2000)}`);
  }
  const startup = await hardhatWithChain();
  return [
    {
      row: "npm run demo",
      measuredMs: demo.ms,
      floorMs: startup + WORK_MS,
      floorWhat: `Hardhat start-up with the in-process chain (${startup.toFixed(0)} ms, this run) + ${WORK_MS} ms of work`,
      note: `best of ${RUNS}; last line at ${demo.lastOutputMs.toFixed(0)} ms, exit ${(demo.ms - demo.lastOutputMs).toFixed(0)} ms later`,
    },
  ];
}

if (process.argv[1] === import.meta.filename) {
  for (const row of await measure()) console.log(JSON.stringify({ bench: "e2e", ...row, ratio: row.measuredMs / row.floorMs }));
  process.exit(0);
}
