import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

let cached: string | undefined;

/** The hardhat-flai package folder, whether running from src/ (checkout) or dist/src/ (installed). */
export function packageRoot(): string {
  if (cached !== undefined) {
    return cached;
  }
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const manifest = path.join(dir, "package.json");
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, "utf8")) as { name?: string }).name === "hardhat-flai") {
      cached = dir;
      return dir;
    }
    const parent = path.dirname(dir);
    if (parent === dir) {
      throw new Error("hardhat-flai: cannot find its own package.json");
    }
    dir = parent;
  }
}
