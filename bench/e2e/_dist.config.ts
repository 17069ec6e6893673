// hardhat-flai as a user's install runs it: the plain project (_plain.config.ts) plus the plugin from
// dist/ (built by `npm run build`), not from its TypeScript sources. Used by startup.ts when dist/ exists.
import path from "node:path";

import { defineConfig } from "hardhat/config";

import plain from "./_plain.config.js";

// A computed specifier: dist/ is a build output, absent from a fresh checkout (and from typechecking).
const DIST = path.resolve(import.meta.dirname, "../../dist/src/index.js");
const { default: flai } = (await import(DIST)) as { default: NonNullable<typeof plain.plugins>[number] };

export default defineConfig({ ...plain, plugins: [...(plain.plugins ?? []), flai] });
