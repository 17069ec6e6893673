// Hardhat's own start-up, the floor under every whole-command row (issue 14), measured in the same
// run as them: `npx hardhat --version` (Node + npx + Hardhat's CLI, no project work) and a script
// that connects to the in-process chain (`npx hardhat run --no-compile bench/e2e/_connect.ts`: the
// project's config and plugins, the EDR provider). Run alone: `npx tsx bench/e2e/startup.ts`.
import path from "node:path";

import { bestOf } from "./_spawn.js";
import type { Row } from "./row.js";

const ROOT = path.resolve(import.meta.dirname, "../..");
const RUNS = 3;

export const hardhatVersion = async () => (await bestOf(RUNS, "npx", ["hardhat", "--version"], ROOT)).ms;

export const hardhatWithChain = async () =>
  (await bestOf(RUNS, "npx", ["hardhat", "run", "--no-compile", path.join("bench", "e2e", "_connect.ts")], ROOT)).ms;

export async function measure(): Promise<Row[]> {
  const version = await hardhatVersion();
  const withChain = await hardhatWithChain();
  return [
    { row: "npx hardhat --version", measuredMs: version, floorMs: version, floorWhat: "itself: the start-up floor", note: `best of ${RUNS}` },
    {
      row: "Hardhat start-up + in-process chain",
      measuredMs: withChain,
      floorMs: version,
      floorWhat: "npx hardhat --version, this run",
      note: `npx hardhat run --no-compile bench/e2e/_connect.ts, best of ${RUNS}: config, plugins, EDR provider and contract decoder`,
    },
  ];
}

if (process.argv[1] === import.meta.filename) {
  for (const row of await measure()) console.log(JSON.stringify({ bench: "e2e", ...row, ratio: row.measuredMs / row.floorMs }));
  process.exit(0);
}
