// Bundles the two 0G SDKs into vendor/ (the first step of `npm run build`: hardhat.config.ts loads the
// plugin, which imports them, so they must exist before `hardhat build` runs).
//
// Why: @0gfoundation/0g-ts-sdk declares `ethers` as an exact peer (6.13.1) while hardhat-ethers needs
// ethers ^6.14, so as a plain dependency it makes every user's install print ERESOLVE and leaves
// `npm ls` invalid (this repository hides it with `overrides`, which never reach a consumer). Bundled,
// the SDKs' own code runs unchanged, against the user's ethers (the one the plugin already peers on,
// exactly as this repository runs them), and their dependency trees (with their native install
// scripts) stay out of the user's node_modules. The package imports them through package.json
// "imports" (#0g-storage-sdk, #0g-compute-sdk), the same way in a checkout and when installed.
import { readFileSync, writeFileSync, mkdirSync, readdirSync, renameSync } from "node:fs";
import { builtinModules, createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";

import { build } from "esbuild";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const vendor = path.join(root, "vendor");

const require = createRequire(import.meta.url);

// The compute devnet deploys the serving contracts from the SDK's own typechain factories, which the
// SDK's `exports` do not expose: the bundle adds them by file.
const COMPUTE_FACTORIES = {
  LedgerManager__factory: "ledger/contract/typechain/factories/LedgerManager__factory.js",
  InferenceServing__factory: "inference/contract/typechain/factories/InferenceServing__factory.js",
  FineTuningServing__factory: "fine-tuning/contract/typechain/factories/FineTuningServing__factory.js",
};

function computeEntry(pkg) {
  const lib = path.dirname(require.resolve(pkg)); // …/lib.commonjs
  const extra = Object.entries(COMPUTE_FACTORIES).map(([name, file]) => `export { ${name} } from ${JSON.stringify(path.join(lib, file))};`);
  return [`export * from ${JSON.stringify(pkg)};`, ...extra].join("\n");
}

// The compute SDK reads a provider's HTTP answers (unsettled fee, response signature, quote) with the
// global fetch, whole and without a timeout; the provider is discovered on-chain and untrusted. Its
// free `fetch` is routed to the plugin's capped fetch (src/util/capped-fetch.ts, bundled in): the
// SDK's code stays as published, and an endless or stalled answer is cut off and its socket closed.
// (Its axios calls are fine-tuning and LoRA paths the plugin does not use.)
const CAPPED_FETCH = {
  define: { fetch: "sdkFetch" },
  inject: [path.join(root, "src", "util", "capped-fetch.ts")],
};

const BUNDLES = [
  { name: "0g-storage-sdk", pkg: "@0gfoundation/0g-ts-sdk", entry: (pkg) => `export * from ${JSON.stringify(pkg)};`, change: "unmodified" },
  {
    name: "0g-compute-sdk",
    pkg: "@0gfoundation/0g-compute-ts-sdk",
    entry: computeEntry,
    options: CAPPED_FETCH,
    check: checkCappedFetch,
    change: "unmodified, except that its calls of the global fetch go to the plugin's capped fetch",
  },
];

/**
 * The compute bundle reaches the network through sdkFetch only: the one direct use of the real fetch is
 * capped-fetch.ts's own. An SDK update calling `globalThis.fetch` (or the like) fails the build here,
 * instead of reading uncapped.
 */
function checkCappedFetch(js) {
  const direct = js.match(/\b(?:globalThis|global|window|self)\.fetch\b/g) ?? [];
  if (direct.length !== 1 || !/\bsdkFetch\(/.test(js)) {
    throw new Error(`0g-compute-sdk: expected its fetch calls routed to sdkFetch, found ${direct.length} direct uses of the global fetch`);
  }
}

// ethers is the user's (a peer of this plugin); the two ws accelerators are optional native add-ons
// that ws falls back from when they are absent.
const EXTERNAL = ["ethers", "bufferutil", "utf-8-validate"];

// CommonJS inside an ES module bundle needs a real `require` for Node's built-ins.
const BANNER = "import { createRequire as __flaiCreateRequire } from 'node:module'; const require = __flaiCreateRequire(import.meta.url);";

function packageOf(input) {
  const parts = input.split("node_modules/");
  if (parts.length < 2) return undefined;
  const rest = parts[parts.length - 1].split("/");
  const name = rest[0].startsWith("@") ? `${rest[0]}/${rest[1]}` : rest[0];
  return { name, dir: path.join(root, parts.slice(0, -1).join("node_modules/") + "node_modules", name) };
}

function licenseText(dir) {
  const file = readdirSync(dir).find((f) => /^(licen[cs]e|copying)(\.|$)/i.test(f));
  return file === undefined ? undefined : readFileSync(path.join(dir, file), "utf8").trim();
}

/** One notice per bundled package: name, version, license and its license text when it ships one. */
function notices(inputs) {
  const seen = new Map();
  for (const input of inputs) {
    const pkg = packageOf(input);
    if (pkg === undefined || seen.has(pkg.dir)) continue;
    const meta = JSON.parse(readFileSync(path.join(pkg.dir, "package.json"), "utf8"));
    const text = licenseText(pkg.dir);
    seen.set(pkg.dir, `${meta.name}@${meta.version} — ${meta.license ?? "see its package"}${text ? `\n\n${text}` : ""}`);
  }
  return [...seen.values()].sort();
}

// The SDKs load Node's built-ins with dynamic `import("fs")` (code shared with browsers). Under a TypeScript
// loader (tsx, which Hardhat registers for a user's config) any dynamic import in a file makes the loader
// rewrite it and attach a source map: for the 2.9 MB storage bundle ~250 ms of every command that uploads.
// A static namespace import resolves to the very object `import("fs")` resolves to, so each is replaced by it.
const DYNAMIC_BUILTIN = /\bimport\(\s*(?:\/\*[^*]*\*\/\s*)?"([a-z_/:]+)"\s*\)/g;

function staticBuiltins(js) {
  const names = new Map();
  const out = js.replace(DYNAMIC_BUILTIN, (whole, specifier) => {
    const bare = specifier.replace(/^node:/, "");
    if (!builtinModules.includes(bare)) return whole;
    if (!names.has(bare)) names.set(bare, `__flaiBuiltin${names.size}`);
    return `Promise.resolve(${names.get(bare)})`;
  });
  const imports = [...names].map(([bare, local]) => `import * as ${local} from "node:${bare}";`).join(" ");
  return { imports, js: out };
}

async function bundle({ name, pkg, entry, options = {}, change, check = () => undefined }) {
  const result = await build({
    stdin: { contents: entry(pkg), resolveDir: root, sourcefile: `${name}-entry.js` },
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node22",
    external: EXTERNAL,
    banner: { js: BANNER },
    legalComments: "none",
    metafile: true,
    logLevel: "warning",
    write: false,
    ...options,
  });
  const { imports, js } = staticBuiltins(result.outputFiles[0].text);
  // esbuild prints every string literal in double quotes; JSDoc types such as import('./get') are comments.
  const left = js.match(/\bimport\(\s*(?:\/\*[^*]*\*\/\s*)?["`][^"`]*["`]/g);
  if (left !== null) throw new Error(`${name}: dynamic imports left in the bundle: ${left.join(", ")}`);
  check(js);
  writeAtomic(
    path.join(vendor, `${name}.js`),
    `// ${pkg} bundled by scripts/bundle-sdks.mjs; licenses in ${name}.LICENSES.txt\n${imports}\n${js}`,
  );
  const header = `Third-party software bundled in vendor/${name}.js (from the npm registry, ${change}):\n\n`;
  writeAtomic(path.join(vendor, `${name}.LICENSES.txt`), header + notices(Object.keys(result.metafile.inputs)).join("\n\n---\n\n") + "\n");
}

/** Whole files only: a process loading the bundle while this runs sees the old one or the new one. */
function writeAtomic(file, text) {
  writeFileSync(`${file}.tmp`, text);
  renameSync(`${file}.tmp`, file);
}

mkdirSync(vendor, { recursive: true });
for (const b of BUNDLES) await bundle(b);
