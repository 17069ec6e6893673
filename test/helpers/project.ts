import { mkdtemp, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";

import type { HardhatUserConfig } from "hardhat/config";
import { createHardhatRuntimeEnvironment } from "hardhat/hre";
import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import type { FlaiConnection } from "../../src/chain/connection.js";
import flai from "../../src/index.js";
import { recordThrown } from "./error-output.js";

// Machine secrets (sealing key, dev attestation authority) go to a throwaway folder in tests.
process.env.FLAI_MACHINE_DIR ??= path.join(os.tmpdir(), `flai-machine-${process.pid}`);

export const FIXTURES = path.resolve(import.meta.dirname, "..", "..", "fixtures");

export async function tempDir(prefix = "flai-test-"): Promise<string> {
  return mkdtemp(path.join(os.tmpdir(), prefix));
}

/** A fresh project folder with hardhat-flai as its only plugin, and its own storage and enclave. */
export async function tempProject(
  config: HardhatUserConfig = {},
  globalOptions: Record<string, unknown> = {},
): Promise<{ hre: HardhatRuntimeEnvironment; root: string }> {
  const root = await tempDir();
  await writeFile(path.join(root, "package.json"), JSON.stringify({ name: "flai-test-project", type: "module" }));
  const hre = await createHardhatRuntimeEnvironment({ plugins: [flai], ...config }, globalOptions, root);
  return { hre, root };
}

/** A temp project on a fresh in-process chain with the compute-job contracts deployed and the simulated enclave registered. */
export async function jobsProject(): Promise<{ hre: HardhatRuntimeEnvironment; connection: FlaiConnection }> {
  const { hre } = await tempProject();
  const connection = await hre.network.create();
  await hre.flai.jobs.deployment({ connection });
  await hre.flai.jobs.registerEnclave({ connection });
  return { hre, connection };
}

/** Runs `fn` and returns the error it throws (fails the test if it does not throw). */
export async function errorOf(fn: () => Promise<unknown> | unknown): Promise<Error> {
  try {
    await fn();
  } catch (error) {
    recordThrown(error); // for the error-output scan (test/e2e/zz-error-output.test.ts)
    return error as Error;
  }
  throw new Error("expected an error, but none was thrown");
}
