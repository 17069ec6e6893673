import { readFileSync } from "node:fs";
import path from "node:path";

import type { Artifact } from "hardhat/types/artifacts";

import { flaiError } from "../errors.js";
import { packageRoot } from "../package-root.js";

const cache = new Map<string, Artifact>();

/**
 * The plugin ships its contracts compiled (built when the package is prepared), so a user's project
 * can deploy them without compiling hardhat-flai's sources itself.
 */
export function loadFlaiArtifact(contractName: string): Artifact {
  const cached = cache.get(contractName);
  if (cached !== undefined) {
    return cached;
  }
  const file = path.join(packageRoot(), "artifacts", "contracts", `${contractName}.sol`, `${contractName}.json`);
  let artifact: Artifact;
  try {
    artifact = JSON.parse(readFileSync(file, "utf8")) as Artifact;
  } catch (error) {
    throw flaiError(
      `hardhat-flai's compiled contract ${contractName} is missing (${file}). ` +
        `Rebuild the package: run \`npm run build\` in ${packageRoot()}.`,
      error,
    );
  }
  cache.set(contractName, artifact);
  return artifact;
}
