import { readFileSync } from "node:fs";
import path from "node:path";

import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { expect } from "chai";
import ts from "typescript";

import type {
  FlaiConfig,
  FlaiRuntime,
  JobView,
  SubmittedJob,
  FederatedTaskView,
  RoundView,
  CreatedTask,
  CreateTaskOptions,
  StorageBackend,
  VerifyItem,
  ProviderInfo,
  PingResult,
  FlaiMarketSettings,
} from "../../src/index.js";
import * as entry from "../../src/index.js";

import { tempProject } from "../helpers/project.js";

// Compile-time checks (npm run typecheck covers test/): a user importing these names from the
// package gets exactly what hre.flai.* takes and returns. A type that drifts fails to typecheck here.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Returned<F> = F extends (...args: never[]) => Promise<infer R> ? R : never;
type Flai = HardhatRuntimeEnvironment["flai"];

const checks = {
  runtime: true as Same<Flai, FlaiRuntime>,
  config: true as Same<HardhatRuntimeEnvironment["config"]["flai"], FlaiConfig>,
  market: true as Same<FlaiConfig["market"], FlaiMarketSettings>,
  job: true as Same<Returned<Flai["jobs"]["get"]>, JobView>,
  submitted: true as Same<Returned<Flai["jobs"]["submit"]>, SubmittedJob>,
  task: true as Same<Returned<Flai["fedavg"]["task"]>, FederatedTaskView>,
  round: true as Same<Returned<Flai["fedavg"]["round"]>, RoundView>,
  created: true as Same<Returned<Flai["fedavg"]["createTask"]>, CreatedTask>,
  createOptions: true as Same<Parameters<Flai["fedavg"]["createTask"]>[0], CreateTaskOptions>,
  storage: true as Same<Flai["storage"], StorageBackend>,
  verify: true as Same<Returned<Flai["verify"]["job"]>, VerifyItem[]>,
  fedavgAlias: true as Same<Flai["fedavg"], Flai["federated"]>,
  providers: true as Same<Returned<Flai["market"]["discover"]>, ProviderInfo[]>,
  ping: true as Same<Returned<Flai["market"]["ping"]>, PingResult>,
} satisfies Record<string, true>;

describe("public types", () => {
  it("are importable from the package entry and typed as hre.flai uses them", () => {
    expect(Object.values(checks).every((ok) => ok)).to.equal(true);
  });

  it("add nothing at run time: the entry's values are the plugin and the network helpers only", () => {
    expect(Object.keys(entry).sort()).to.deep.equal(["PRIVATE_KEY_VARIABLE", "ZEROG_CHAINS", "default", "zeroGNetwork"]);
  });
});

/** The JSDoc tag names on a member of an interface in a source file (what an editor shows as strike-through). */
function memberTags(file: string, iface: string, member: string): string[] {
  const source = ts.createSourceFile(file, readFileSync(file, "utf8"), ts.ScriptTarget.Latest, true);
  const declared = source.statements.find((s): s is ts.InterfaceDeclaration => ts.isInterfaceDeclaration(s) && s.name.text === iface);
  const property = declared?.members.find((m) => m.name !== undefined && ts.isIdentifier(m.name) && m.name.text === member);
  return property ? ts.getJSDocTags(property).map((tag) => tag.tagName.text) : [];
}

describe("hre.flai.federated (issue 16: the subsystem is named for federated learning, not for one strategy)", () => {
  it("hre.flai.fedavg is the same object, kept as an alias", async () => {
    const { hre } = await tempProject();
    expect(hre.flai.fedavg).to.equal(hre.flai.federated);
  });

  it("hre.flai.fedavg is marked @deprecated in FlaiRuntime (editors strike it through)", () => {
    const runtime = path.resolve(import.meta.dirname, "..", "..", "src", "runtime.ts");
    expect(memberTags(runtime, "FlaiRuntime", "fedavg")).to.include("deprecated");
    expect(memberTags(runtime, "FlaiRuntime", "federated")).to.not.include("deprecated");
  });
});
