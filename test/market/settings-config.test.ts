import { expect } from "chai";
import { pluginProject, runHardhat } from "../helpers/cli.js";

// flai.market in hardhat.config.ts reaches the market tasks (src/market/settings.ts has the order:
// option > flai.market > FLAI_* environment > built-in; unit-tested in test/core/config).
describe("market tasks: flai.market settings from the config (issue 16)", function () {
  this.timeout(120_000);
  const configured = "0x000000000000000000000000000000000000dEaD";

  it("flai:market-ping asks the provider named in flai.market.provider, over FLAI_PROVIDER", async () => {
    const { project, env } = await pluginProject("flai-market-settings", `flai: { market: { provider: "${configured}" } }`);
    const other = "0x0000000000000000000000000000000000000Bad";
    const run = await runHardhat(["flai:market-ping"], { cwd: project, env: { ...env, FLAI_PROVIDER: other } });
    expect(run.code).to.not.equal(0);
    const out = run.stdout + run.stderr;
    expect(out.toLowerCase()).to.include(configured.toLowerCase());
    expect(out.toLowerCase()).to.not.include(other.toLowerCase());
  });
});
