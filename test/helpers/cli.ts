import { spawn } from "node:child_process";
import { mkdir, mkdtemp, symlink, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";

import { packageRoot } from "../../src/package-root.js";
import { callerTestFile, recordOutput } from "./error-output.js";

export const HARDHAT_CLI = path.join(packageRoot(), "node_modules", "hardhat", "dist", "src", "cli.js");

// The variables @nomicfoundation/hardhat-utils' isCi() looks at.
const CI_MARKERS = [
  "CI",
  "CONTINUOUS_INTEGRATION",
  "GITHUB_ACTIONS",
  "BUILD_NUMBER",
  "RUN_ID",
  "NOW",
  "DEPLOYMENT_ID",
  "CODEBUILD_BUILD_NUMBER",
];

/** The environment of a user's shell: without the variables `hardhat test` sets for itself. */
export function userEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = { ...process.env, ...extra };
  delete env.HARDHAT_CONFIG;
  delete env.HH_TEST;
  // Hardhat always prints stack traces when it detects a CI server; these
  // runs stand for a user at a terminal, so they must not look like CI.
  for (const name of CI_MARKERS) delete env[name];
  return env;
}

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  cwd: string;
  env?: Record<string, string>;
  /** The hardhat CLI to run: a user's project's own (node_modules/hardhat/…/cli.js); default this repository's. */
  cli?: string;
}

/**
 * `npx hardhat <args>` in `cwd`, as a user at a terminal runs it (this process's Node, which is ≥ 22).
 * Its output is recorded for the error-output scan (test/e2e/zz-error-output.test.ts).
 */
export function runHardhat(args: string[], opts: CliOptions): Promise<CliRun> {
  const testFile = callerTestFile();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [opts.cli ?? HARDHAT_CLI, ...args], { cwd: opts.cwd, env: userEnv(opts.env) });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("close", (code) => {
      recordOutput({ kind: "cli", args, testFile, code, stoppedByTest: false, stdout, stderr });
      resolve({ code, stdout, stderr });
    });
  });
}

/**
 * A user's project in a fresh temp folder (named after `name`) with hardhat-flai as its only plugin, for
 * runHardhat: it resolves hardhat (and the plugin's dependencies) from this repository's install, and
 * `env` gives it its own machine folder. `config` is more of its config's keys, as source text
 * (e.g. `networks: { … }, flai: { … }`).
 */
export async function pluginProject(name: string, config = ""): Promise<{ project: string; env: { FLAI_MACHINE_DIR: string } }> {
  const project = await mkdtemp(path.join(os.tmpdir(), `${name}-`));
  await writeFile(path.join(project, "package.json"), JSON.stringify({ name, private: true, type: "module" }));
  await symlink(path.join(packageRoot(), "node_modules"), path.join(project, "node_modules"), "dir");
  await writeFile(
    path.join(project, "hardhat.config.ts"),
    [
      `import { defineConfig } from "hardhat/config";`,
      `import flai from ${JSON.stringify(pathToFileURL(path.join(packageRoot(), "src", "index.ts")).href)};`,
      `export default defineConfig({ plugins: [flai]${config === "" ? "" : `, ${config}`} });`,
      ``,
    ].join("\n"),
  );
  const env = { FLAI_MACHINE_DIR: path.join(project, ".machine") };
  await mkdir(env.FLAI_MACHINE_DIR);
  return { project, env };
}
