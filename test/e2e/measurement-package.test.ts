import { execFile } from "node:child_process";
import { access, mkdir, symlink } from "node:fs/promises";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { promisify } from "node:util";

import { expect } from "chai";

import { packageRoot } from "../../src/package-root.js";
import { computeMeasurement, ENCLAVE_PROGRAM, enclaveProgramFiles } from "../../src/tee/measurement.js";

import { packThisPackage } from "../helpers/npm.js";
import { tempDir } from "../helpers/project.js";

/**
 * One version, one enclave measurement, however it is installed: the packed package (what npm
 * installs from a tarball or the registry) computes the same measurement as this checkout, so an
 * enclave served from either can serve a task created from the other.
 */
describe("enclave measurement: the same in a checkout and in the packed package", function () {
  this.timeout(180_000);

  it("the installed dist/ computes the checkout's measurement from the sources the package ships", async () => {
    const dir = await tempDir("flai-pack-");
    const { tarball, files } = await packThisPackage(dir);
    for (const module of ENCLAVE_PROGRAM) expect(files, `the package ships src/${module}.ts`).to.include(`src/${module}.ts`);
    const extracted = path.join(dir, "extracted");
    await mkdir(extracted);
    await promisify(execFile)("tar", ["-xzf", tarball, "-C", extracted]);
    const installed = path.join(extracted, "package");
    // Its dependencies (hardhat's error class) resolve as in a project: from node_modules beside it.
    await symlink(path.join(packageRoot(), "node_modules"), path.join(installed, "node_modules"), "dir");

    // The package's own compiled code, run from where npm would put it (its package root found from dist/).
    const measurementJs = path.join(installed, "dist", "src", "tee", "measurement.js");
    const { computeMeasurement: installedMeasurement } = (await import(
      pathToFileURL(measurementJs).href
    )) as typeof import("../../src/tee/measurement.js");
    expect(await installedMeasurement()).to.equal(await computeMeasurement());

    // It really reads the shipped sources: without them it refuses rather than measuring something else.
    for (const file of enclaveProgramFiles(installed)) await access(file);
    const elsewhere = await tempDir("flai-no-src-");
    let error: Error | undefined;
    await installedMeasurement(elsewhere).catch((e: Error) => (error = e));
    expect(error?.message).to.match(/source src\/errors\.ts is missing/);
  });
});
