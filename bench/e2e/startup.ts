// Start-up rows (issue 14), the floor under every whole-command row, measured in the same run:
//   - `npx hardhat --version`: Node + npx + Hardhat's CLI, no project work.
//   - a plain Hardhat 3 project (this project's config without hardhat-flai: bench/e2e/_plain.config.ts)
//     connecting to its in-process chain (`hardhat run --no-compile bench/e2e/_connect.ts`), twice:
//     with no build info (Hardhat loading its config and plugins, the EDR provider; floor --version),
//     and over this repository's artifacts/ (floor: with no build info) — the EDR contract decoder
//     reads every build-info file there (64 MB here: the contracts and their Solidity tests), all of
//     it Hardhat's own work. Each row's floor is the row before it, so each ratio is one cost.
//   - the same with hardhat-flai: this project's config (the plugin from its TypeScript sources, through
//     tsx), and the plugin from dist/ as a user's install runs it (when dist/ is built). Their floor is
//     the plain project over the same artifacts in the same run: the ratio is hardhat-flai's own cost.
// The commands take turns, RUNS times each (best and median printed). Run alone: `npx tsx bench/e2e/startup.ts`.
import { existsSync, mkdtempSync, readdirSync, statSync } from "node:fs";
import os from "node:os";
import path from "node:path";

import { bestOf, fastest, interleaved, median, type Command, type Timed } from "./_spawn.js";
import type { Row } from "./row.js";

const ROOT = path.resolve(import.meta.dirname, "../..");
const RUNS = Number(process.env.STARTUP_RUNS ?? 5);
const CONNECT = path.join("bench", "e2e", "_connect.ts");
const PLAIN = path.join("bench", "e2e", "_plain.config.ts");
const DIST = path.join("bench", "e2e", "_dist.config.ts");

const hardhat = (args: string[], env?: Record<string, string>): Command => ({ command: "npx", args: ["hardhat", ...args], cwd: ROOT, env });
const withChain = (config?: string, env?: Record<string, string>) =>
  hardhat([...(config === undefined ? [] : ["--config", config]), "run", "--no-compile", CONNECT], env);

export const hardhatVersion = async () => (await bestOf(3, "npx", ["hardhat", "--version"], ROOT)).ms;

/** This project's start-up with the in-process chain (the floor other rows subtract). */
export const hardhatWithChain = async () => (await bestOf(3, "npx", withChain().args, ROOT)).ms;

/** Whether some source file changed after dist/ was built (the dist row then measures older code). */
function distIsStale(): boolean {
  const built = statSync(path.join(ROOT, "dist", "src", "index.js")).mtimeMs;
  const sources = readdirSync(path.join(ROOT, "src"), { recursive: true, encoding: "utf8" }).filter((f) => f.endsWith(".ts"));
  return sources.some((f) => statSync(path.join(ROOT, "src", f)).mtimeMs > built);
}

const spread = (runs: Timed[]) => `best of ${runs.length}, median ${median(runs).toFixed(0)} ms`;

export async function measure(): Promise<Row[]> {
  const noArtifacts = mkdtempSync(path.join(os.tmpdir(), "flai-no-artifacts-"));
  const hasDist = existsSync(path.join(ROOT, "dist", "src", "index.js"));
  const [version, bare, plain, ours, dist] = await interleaved(RUNS, [
    hardhat(["--version"]),
    withChain(PLAIN, { FLAI_BENCH_ARTIFACTS: noArtifacts }),
    withChain(PLAIN),
    withChain(),
    ...(hasDist ? [withChain(DIST)] : []),
  ]);
  const versionMs = fastest(version!);
  const plainMs = fastest(plain!);
  const rows: Row[] = [
    {
      row: "npx hardhat --version",
      measuredMs: versionMs,
      floorMs: versionMs,
      floorWhat: "itself: the start-up floor",
      note: spread(version!),
    },
    {
      row: "plain Hardhat 3 project + in-process chain, no build info",
      measuredMs: fastest(bare!),
      floorMs: versionMs,
      floorWhat: "npx hardhat --version, this run",
      note: `Hardhat's own: config, hardhat-ethers + Ignition + mocha plugins, the EDR provider; ${spread(bare!)}`,
    },
    {
      row: "plain Hardhat 3 project + in-process chain, this repository's artifacts",
      measuredMs: plainMs,
      floorMs: fastest(bare!),
      floorWhat: "the same with no build info, this run",
      note: `Hardhat's own: the ratio is the EDR contract decoder reading artifacts/build-info (64 MB here); ${spread(plain!)}`,
    },
    {
      row: "hardhat-flai start-up + in-process chain (TypeScript sources via tsx)",
      measuredMs: fastest(ours!),
      floorMs: plainMs,
      floorWhat: "the plain project over the same artifacts, this run",
      note: `npx hardhat run --no-compile bench/e2e/_connect.ts in this repository; ${spread(ours!)}`,
    },
  ];
  if (dist !== undefined) {
    rows.push({
      row: "hardhat-flai start-up + in-process chain (dist/, as installed)",
      measuredMs: fastest(dist),
      floorMs: plainMs,
      floorWhat: "the plain project over the same artifacts, this run",
      note:
        `bench/e2e/_dist.config.ts: the plugin from dist/ as last built` +
        (distIsStale() ? " (OLDER than src/: run npm run build first)" : "") +
        `; ${spread(dist)}`,
    });
  }
  return rows;
}

if (process.argv[1] === import.meta.filename) {
  for (const row of await measure()) console.log(JSON.stringify({ bench: "e2e", ...row, ratio: row.measuredMs / row.floorMs }));
  process.exit(0);
}
