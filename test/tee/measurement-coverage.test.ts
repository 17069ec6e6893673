import { existsSync, readFileSync } from "node:fs";
import path from "node:path";

import { expect } from "chai";

import { packageRoot } from "../../src/package-root.js";
import { ENCLAVE_PROGRAM } from "../../src/tee/measurement.js";

/**
 * The measurement is what a contract trusts as "the enclave's code": a module the enclave runs but
 * the measurement leaves out could change without changing the measurement. So the list in
 * measurement.ts must hold every module reachable from the enclave's worker entry points through
 * runtime imports (type-only imports are erased by the compiler and run nothing).
 */
const ENTRY_POINTS = ["tee/worker", "tee/attest-worker", "federated/aggregator-worker", "federated/round-close-worker"];
// Worker files started by URL from a measured module rather than imported.
const STARTED_BY_URL: Record<string, string[]> = { "storage/merkle": ["storage/merkle-segments"] };

const SRC = path.join(packageRoot(), "src");
const STATIC_IMPORT = /^\s*(import|export)\s+(?!type\s)[^;]*?\sfrom\s+"(\.[^"]+)"/gm;
const SIDE_EFFECT_IMPORT = /^\s*import\s+"(\.[^"]+)"/gm;
const DYNAMIC_IMPORT = /import\(\s*"(\.[^"]+)"\s*\)/g;

function runtimeImports(module: string): string[] {
  const text = readFileSync(path.join(SRC, `${module}.ts`), "utf8");
  const specs = [
    ...[...text.matchAll(STATIC_IMPORT)].map((m) => m[2]!),
    ...[...text.matchAll(SIDE_EFFECT_IMPORT)].map((m) => m[1]!),
    ...[...text.matchAll(DYNAMIC_IMPORT)].map((m) => m[1]!),
  ];
  return specs.map((spec) => path.posix.normalize(path.posix.join(path.posix.dirname(module), spec.replace(/\.js$/, ""))));
}

function reachableFrom(entries: string[]): Set<string> {
  const seen = new Set<string>();
  const stack = [...entries];
  while (stack.length > 0) {
    const module = stack.pop()!;
    if (seen.has(module)) continue;
    expect(existsSync(path.join(SRC, `${module}.ts`)), `src/${module}.ts exists`).to.equal(true);
    seen.add(module);
    stack.push(...runtimeImports(module), ...(STARTED_BY_URL[module] ?? []));
  }
  return seen;
}

describe("enclave measurement covers the enclave's code", () => {
  it("every module reachable from a worker entry point is measured", () => {
    const reachable = reachableFrom(ENTRY_POINTS);
    const missing = [...reachable].filter((m) => !(ENCLAVE_PROGRAM as readonly string[]).includes(m)).sort();
    expect(missing, "add these to ENCLAVE_PROGRAM in src/tee/measurement.ts").to.deep.equal([]);
  });

  it("measures nothing the enclave does not run, so the list stays reviewable", () => {
    const reachable = reachableFrom(ENTRY_POINTS);
    const extra = ENCLAVE_PROGRAM.filter((m) => !reachable.has(m));
    expect(extra, "remove these from ENCLAVE_PROGRAM").to.deep.equal([]);
  });

  it("no enclave module imports the ethers package root (it loads providers, ws and keystore into every worker)", () => {
    const rootImport = /^\s*import\s+(?!type\s)[^;]*?\sfrom\s+"ethers"/m;
    const offenders = ENCLAVE_PROGRAM.filter((m) => rootImport.test(readFileSync(path.join(SRC, `${m}.ts`), "utf8")));
    expect(offenders, 'import from "ethers/abi", "ethers/address", "ethers/crypto", … instead').to.deep.equal([]);
  });

  it("the import scan sees runtime imports and skips type-only ones", () => {
    const imports = runtimeImports("tee/worker");
    expect(imports).to.include("tee/worker-entry");
    for (const m of imports) expect(m.startsWith("."), m).to.equal(false);
  });
});
