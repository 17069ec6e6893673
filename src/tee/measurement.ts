import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import path from "node:path";

import { flaiError } from "../errors.js";
import { packageRoot } from "../package-root.js";
import { sha256Digest } from "../util/sha256.js";

/**
 * The enclave program: every module the worker runs between "inputs in" and "signed result out".
 * Paths are relative to the package's src/ folder. test/tee/measurement-coverage.test.ts fails when a
 * module reachable from a worker entry point is missing here (or one listed is no longer reached).
 */
export const ENCLAVE_PROGRAM = [
  "errors",
  "federated/accumulator",
  "federated/aggregator",
  "federated/aggregator-worker",
  "federated/classes",
  "federated/commitment",
  "federated/dp-accountant",
  "federated/drift-correction",
  "federated/eip712",
  "federated/envelope",
  "federated/evaluate",
  "federated/global-model",
  "federated/global-model-binary",
  "federated/input-checks",
  "federated/metrics-word",
  "federated/rejections",
  "federated/round-aggregate",
  "federated/round-close",
  "federated/round-close-worker",
  "federated/round-record",
  "federated/round-report",
  "federated/round-rules",
  "federated/strategies",
  "federated/task-models",
  "federated/update",
  "federated/weights",
  "inputs",
  "jobs/job-keys",
  "limits",
  "ml/byte-text",
  "ml/classification-metrics",
  "ml/csv-dataset",
  "ml/dataset",
  "ml/json-dataset",
  "ml/json-structure",
  "ml/labels",
  "ml/lbfgs",
  "ml/logistic",
  "ml/logistic-kernel",
  "ml/logistic-parallel",
  "ml/metrics",
  "ml/model",
  "ml/npy-array",
  "ml/npz-dataset",
  "ml/npz-file",
  "ml/npz-zip",
  "ml/parameters",
  "ml/predict",
  "ml/schema",
  "ml/shown",
  "ml/softmax-kernel",
  "ml/softmax-objective",
  "ml/spec-schema",
  "privacy/artifact",
  "privacy/binding",
  "privacy/hex",
  "privacy/keyring",
  "privacy/keyring-parse",
  "privacy/keyring-types",
  "privacy/pair-key",
  "privacy/reader-key",
  "privacy/x25519",
  "storage/merkle",
  "storage/merkle-segments",
  "storage/types",
  "tee/attest-worker",
  "tee/identity",
  "tee/job-privacy",
  "tee/job-result-signature",
  "tee/machine",
  "tee/program",
  "tee/sealing",
  "tee/verified-cache",
  "tee/worker",
  "tee/worker-entry",
  "util/bytes",
  "util/cleanup",
  "util/excerpt",
  "util/fs",
  "util/local-file",
  "util/prng",
  "util/sha256",
] as const;

/** Settings that change what the program computes; part of the measurement like an enclave's config. */
export const ENCLAVE_CONFIG = { name: "hardhat-flai-enclave", version: 1, task: "logistic-regression/lbfgs" } as const;

/**
 * What is measured: the enclave program's TypeScript sources, `src/<module>.ts` under the package
 * root. They are the same bytes in a git checkout (where tsx runs them) and in the packed package
 * (which ships them next to the dist/ JavaScript compiled from them: package.json `files`), so one
 * version has one measurement however it was installed. Measuring the compiled .js instead gave a
 * checkout and an install of the same version different measurements, and neither could serve the
 * enclave for a task the other created.
 */
export function enclaveProgramFiles(root: string = packageRoot()): string[] {
  return ENCLAVE_PROGRAM.map((m) => path.join(root, sourcePath(m)));
}

function sourcePath(module: string): string {
  return path.posix.join("src", `${module}.ts`);
}

/**
 * SHA-256 over the program's sources (each named by its path in the package) and its config: the
 * code identity a contract trusts. Anyone recomputes it from an install of the same version
 * (`flai:enclave --json` prints it) and compares it with a task's required measurement.
 */
export async function computeMeasurement(root: string = packageRoot()): Promise<string> {
  const outer = createHash("sha256").update("hardhat-flai/measurement/v2\n");
  for (const module of ENCLAVE_PROGRAM) {
    const file = sourcePath(module);
    const content = await readSource(root, file);
    outer.update(`${file}\n${sha256Digest(content)}\n`);
  }
  outer.update(`config\n${JSON.stringify(ENCLAVE_CONFIG)}\n`);
  return "0x" + outer.digest("hex");
}

async function readSource(root: string, file: string): Promise<Buffer> {
  try {
    return await readFile(path.join(root, file));
  } catch (error) {
    throw flaiError(
      `The enclave program's source ${file} is missing from ${root}, so its measurement cannot be computed. ` +
        `Reinstall hardhat-flai (the package ships src/ for this).`,
      error,
    );
  }
}
