import { spawn } from "node:child_process";
import { realpathSync } from "node:fs";
import { readFile } from "node:fs/promises";
import path from "node:path";

import { packageRoot } from "../../src/package-root.js";

/** npm's own CLI script: the one running this test (npm test / npx), else the npm on PATH. */
function npmCli(): string {
  if (process.env.npm_execpath !== undefined && process.env.npm_execpath.endsWith(".js")) return process.env.npm_execpath;
  for (const dir of (process.env.PATH ?? "").split(path.delimiter)) {
    try {
      return realpathSync(path.join(dir, "npm"));
    } catch {
      // not in this folder
    }
  }
  throw new Error("npm is not on PATH");
}

export interface NpmRun {
  code: number | null;
  output: string;
}

/**
 * Runs npm under this process's Node (24, from the npm package `node`), as a user with Node >= 22
 * does: EDR's native package is then installed, not skipped. Without the variables npm sets for the
 * script that runs the tests (they would point npm at this repository's config and project).
 */
export function npm(args: string[], cwd: string): Promise<NpmRun> {
  const env = { ...process.env };
  for (const name of Object.keys(env)) if (name.startsWith("npm_")) delete env[name];
  delete env.INIT_CWD;
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [npmCli(), ...args], { cwd, env });
    let output = "";
    child.stdout.on("data", (d: Buffer) => (output += d.toString()));
    child.stderr.on("data", (d: Buffer) => (output += d.toString()));
    child.on("close", (code) => resolve({ code, output }));
  });
}

/** The version of a package this repository has installed (so the app installs from npm's cache). */
export async function installedVersion(name: string): Promise<string> {
  const manifest = JSON.parse(await readFile(path.join(packageRoot(), "node_modules", name, "package.json"), "utf8")) as {
    version: string;
  };
  return manifest.version;
}

/** `npm pack` of this repository as it is built now (npm test builds first): the tarball and its file list. */
export async function packThisPackage(destination: string): Promise<{ tarball: string; files: string[] }> {
  const run = await npm(["pack", "--ignore-scripts", "--json", "--pack-destination", destination], packageRoot());
  if (run.code !== 0) throw new Error(`npm pack failed:\n${run.output}`);
  const json = run.output.slice(run.output.indexOf("["));
  const [packed] = JSON.parse(json) as [{ filename: string; files: { path: string }[] }];
  return { tarball: path.join(destination, packed.filename), files: packed.files.map((f) => f.path) };
}
