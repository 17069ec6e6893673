import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";

/**
 * The enclave program: every module the worker runs between "inputs in" and "signed result out".
 * Paths are relative to the package's source root (src/ in a checkout, dist/src/ when installed).
 */
export const ENCLAVE_PROGRAM = [
  "errors",
  "fedavg/aggregator",
  "fedavg/aggregator-worker",
  "fedavg/commitment",
  "fedavg/eip712",
  "fedavg/envelope",
  "fedavg/evaluate",
  "fedavg/global-model",
  "fedavg/metrics-word",
  "fedavg/rejections",
  "fedavg/round-record",
  "fedavg/round-rules",
  "fedavg/strategies",
  "fedavg/update",
  "fedavg/weights",
  "jobs/eip712",
  "ml/dataset",
  "ml/logistic",
  "ml/logistic-kernel",
  "ml/logistic-parallel",
  "ml/metrics",
  "ml/model",
  "storage/merkle",
  "storage/merkle-segments",
  "tee/attest-worker",
  "tee/identity",
  "tee/program",
  "tee/sealing",
  "tee/worker",
  "tee/worker-entry",
  "util/prng",
] as const;

/** Settings that change what the program computes; part of the measurement like an enclave's config. */
export const ENCLAVE_CONFIG = { name: "hardhat-flai-enclave", version: 1, task: "logistic-regression/lbfgs" } as const;

const sourceRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const extension = path.extname(fileURLToPath(import.meta.url));

export function enclaveProgramFiles(): string[] {
  return ENCLAVE_PROGRAM.map((m) => path.join(sourceRoot, m + extension));
}

/** SHA-256 over the program's files (by relative path) and its config: the code identity a contract trusts. */
export async function computeMeasurement(): Promise<string> {
  const outer = createHash("sha256").update("hardhat-flai/measurement/v1\n");
  for (const module of ENCLAVE_PROGRAM) {
    const content = await readFile(path.join(sourceRoot, module + extension));
    const digest = createHash("sha256").update(content).digest("hex");
    outer.update(`${module}${extension}\n${digest}\n`);
  }
  outer.update(`config\n${JSON.stringify(ENCLAVE_CONFIG)}\n`);
  return "0x" + outer.digest("hex");
}
