import { mkdir, symlink, writeFile } from "node:fs/promises";
import path from "node:path";
import { pathToFileURL } from "node:url";

import { HDNodeWallet, Mnemonic } from "ethers";

import type { Dataset } from "../../src/ml/dataset.js";
import { packageRoot } from "../../src/package-root.js";

import { runHardhat, type CliRun } from "./cli.js";
import { startHardhat, type Running } from "./processes.js";

/** `hardhat node`'s well-known development mnemonic: its accounts are funded on every fresh node (not secrets). */
const DEV_MNEMONIC = "test test test test test test test test test test test junk";

/** Account `i` of `hardhat node`: its private key and address. */
export function devAccount(i: number): { key: string; address: string } {
  const wallet = HDNodeWallet.fromMnemonic(Mnemonic.fromPhrase(DEV_MNEMONIC), `m/44'/60'/0'/0/${i}`);
  return { key: wallet.privateKey, address: wallet.address };
}

/** The network every party's config names: `hardhat node` on this machine. */
export const NETWORK = "localnode";

/**
 * What a party's hardhat.config.ts says beyond the plugin and the network: the `flai` block, as the
 * source text of an object literal (what a user types; e.g. the line `flai:devnet` prints).
 */
export type FlaiBlock = string;

/**
 * One party of a federated task on a machine of its own: a project folder (package.json,
 * hardhat.config.ts loading the plugin from this repository's src, node_modules linked to this
 * repository's install), its own FLAI_MACHINE_DIR (sealed enclave keys, dev attestation authority)
 * outside the project, and its own account, handed to Hardhat as the config variable
 * FLAI_PRIVATE_KEY (an environment variable, as a user would keep it out of the file).
 */
export interface Party {
  name: string;
  /** The project folder. */
  dir: string;
  /** This machine's FLAI_MACHINE_DIR. */
  machineDir: string;
  /** The party's account, when it has one of its own (a verifier may have none). */
  account?: { key: string; address: string };
  /** Rewrites hardhat.config.ts with this `flai` block (what the party learnt from others' --json). */
  configure(flai?: FlaiBlock): Promise<void>;
  /** `npx hardhat <args> --network localnode` in the folder, to completion. */
  run(args: string[]): Promise<CliRun>;
  /** `run(args + --json)`: fails with the whole output unless it exits 0; the one JSON document it prints. */
  json<T = Record<string, unknown>>(args: string[]): Promise<T>;
  /** A long-running `npx hardhat <args> --network localnode` (a follower, the devnet). */
  start(args: string[]): Running;
}

export interface PartyOptions {
  /** The folder all parties' folders go under (each party gets `<root>/<name>` and `<root>/<name>.machine`). */
  root: string;
  name: string;
  /** The chain's JSON-RPC URL. */
  rpcUrl: string;
  /**
   * Its account: a key of its own; "node" for the accounts `hardhat node` unlocks (the devnet's
   * operator, beside the node); undefined for none at all (`accounts: []`, a party that sends nothing).
   */
  account?: { key: string; address: string } | "node";
}

export async function newParty(opts: PartyOptions): Promise<Party> {
  const dir = path.join(opts.root, opts.name);
  const machineDir = path.join(opts.root, `${opts.name}.machine`);
  await mkdir(dir, { recursive: true });
  await mkdir(machineDir, { recursive: true });
  await writeFile(path.join(dir, "package.json"), JSON.stringify({ name: `flai-${opts.name}`, private: true, type: "module" }));
  // The project resolves hardhat (and the plugin's dependencies) from this repository's install.
  await symlink(path.join(packageRoot(), "node_modules"), path.join(dir, "node_modules"), "dir");
  const env: Record<string, string> = { FLAI_MACHINE_DIR: machineDir };
  const own = typeof opts.account === "object" ? opts.account : undefined;
  if (own !== undefined) env.FLAI_PRIVATE_KEY = own.key;
  const accountsLine =
    opts.account === "node" ? "" : own === undefined ? `      accounts: [],` : `      accounts: [configVariable("FLAI_PRIVATE_KEY")],`;

  const configure = (flai?: FlaiBlock) =>
    writeFile(
      path.join(dir, "hardhat.config.ts"),
      [
        `import { configVariable, defineConfig } from "hardhat/config";`,
        `import flai from ${JSON.stringify(pathToFileURL(path.join(packageRoot(), "src", "index.ts")).href)};`,
        `export default defineConfig({`,
        `  plugins: [flai],`,
        `  networks: {`,
        `    ${NETWORK}: {`,
        `      type: "http",`,
        `      url: ${JSON.stringify(opts.rpcUrl)},`,
        accountsLine,
        `    },`,
        `  },`,
        flai === undefined ? "" : `  flai: ${flai},`,
        `});`,
        ``,
      ]
        .filter((line) => line !== "")
        .join("\n") + "\n",
    );
  await configure();

  const withNetwork = (args: string[]) => [...args, "--network", NETWORK];
  const run = (args: string[]) => runHardhat(withNetwork(args), { cwd: dir, env });
  return {
    name: opts.name,
    dir,
    machineDir,
    account: own,
    configure,
    run,
    async json<T>(args: string[]): Promise<T> {
      const done = await run([...args, "--json"]);
      if (done.code !== 0) {
        throw new Error(
          `${opts.name}: hardhat ${args.join(" ")} exited ${done.code}\n--- stdout\n${done.stdout}\n--- stderr\n${done.stderr}`,
        );
      }
      try {
        return JSON.parse(done.stdout) as T;
      } catch {
        throw new Error(
          `${opts.name}: hardhat ${args.join(" ")} --json printed no single JSON document:\n${done.stdout}\n--- stderr\n${done.stderr}`,
        );
      }
    },
    start: (args: string[]) => startHardhat(withNetwork(args), { cwd: dir, env }),
  };
}

/** The JSON lines a follower printed so far (`--json`: one JSON object per line on stdout). */
export function jsonLines(process: Running): Array<Record<string, unknown>> {
  const lines: Array<Record<string, unknown>> = [];
  for (const line of process.stdout().split("\n")) {
    const text = line.trim();
    if (!text.startsWith("{")) continue;
    try {
      lines.push(JSON.parse(text) as Record<string, unknown>);
    } catch {
      // A line cut mid-write (the process is still printing it): read again later.
    }
  }
  return lines;
}

/** Polls `check` every 200 ms until it returns a value other than undefined; fails after `timeoutMs`, naming `what`. */
export async function until<T>(what: string, check: () => Promise<T | undefined> | T | undefined, timeoutMs = 180_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** A dataset as the JSON file a party keeps it in: `{"features": [[…], …], "labels": […]}`. */
export function datasetJson(ds: Dataset): string {
  const features: number[][] = [];
  for (let r = 0; r < ds.rows; r++) features.push(Array.from(ds.features.subarray(r * ds.cols, (r + 1) * ds.cols)));
  return JSON.stringify({ features, labels: Array.from(ds.labels) });
}
