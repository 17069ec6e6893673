import path from "node:path";

import { expect } from "chai";

import { DEFAULTS } from "../../src/config.js";
import { demoModelFile, devnetDir, flaiDir, followStateDir, jobResultFile, runReportBase } from "../../src/paths.js";

// The layout users see (README, task help, existing projects' folders): moving it is a breaking change.
describe("paths under .flai/", () => {
  const root = path.resolve("/tmp/project");
  const under = (...parts: string[]) => path.join(root, ".flai", ...parts);

  it("builds every project path from the project root", () => {
    expect(flaiDir(root)).to.equal(under());
    expect(path.resolve(root, DEFAULTS.storagePath)).to.equal(under("storage"));
    expect(path.resolve(root, DEFAULTS.enclavePath)).to.equal(under("enclave"));
    expect(jobResultFile(root, 7n)).to.equal(under("results", "job-7.json"));
    expect(runReportBase(root, 3, "20261205T043000Z")).to.equal(under("reports", "fl-run-task-3-20261205T043000Z"));
    expect(followStateDir(root)).to.equal(under("follow"));
    expect(devnetDir(root, "chain-31337-abc")).to.equal(under("devnet", "chain-31337-abc"));
    expect(demoModelFile(root, "5")).to.equal(under("demo", "trained_model-5.json"));
  });
});
