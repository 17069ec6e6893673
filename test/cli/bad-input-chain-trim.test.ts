import { expect } from "chai";
import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { checkTrimForClients } from "../../src/cli/strategy-args.js";

import { expectFlaiError } from "../helpers/assert.js";
import { tempProject } from "../helpers/project.js";

// Issue 15: a --trim-fraction that trims nothing for the actual number of clients was accepted (trimmed-mean
// then trims its minimum of one update per end: a larger share than typed). flai:fl-run knows the
// number of clients, so it refuses before anything runs; flai:fl-create keeps the fraction as typed.
describe("bad input (issue 15): flai:fl-run refuses a --trim-fraction that trims nothing for its --clients", () => {
  let hre: HardhatRuntimeEnvironment;

  before(async () => {
    ({ hre } = await tempProject());
  });

  const run = (args: Record<string, unknown>) => hre.tasks.getTask("flai:fl-run").run({ strategy: "trimmed-mean", ...args });

  it("--trim-fraction 0.1 with 5 clients: ⌊0.5⌋ = 0, refused, naming the smallest --trim-fraction (0.200) and the clients it would need", async () => {
    await expectFlaiError(
      () => run({ trimFraction: "0.1", clients: 5 }),
      "--trim-fraction 0.1 with --clients 5",
      "= 0 updates per end",
      "--trim-fraction 0.200 or more",
      "at least 10 clients",
    );
  });

  it("--trim-fraction 0.05 with the default 5 clients, and --trim-fraction 0.3 with 3 clients, are refused too", async () => {
    await expectFlaiError(() => run({ trimFraction: "0.05" }), "--clients 5", "at least 20 clients");
    await expectFlaiError(() => run({ trimFraction: "0.3", clients: 3 }), "--trim-fraction 0.334 or more", "at least 4 clients");
  });

  it("a --trim-fraction that trims at least one update per end passes; with 2 clients no --trim-fraction can", async () => {
    expect(() => checkTrimForClients({ name: "trimmed-mean", trimFraction: 0.2 }, 5)).to.not.throw();
    expect(() => checkTrimForClients({ name: "trimmed-mean", trimFraction: 0.1 }, 10)).to.not.throw();
    expect(() => checkTrimForClients({ name: "trimmed-mean" }, 2)).to.not.throw();
    await expectFlaiError(
      () => checkTrimForClients({ name: "trimmed-mean", trimFraction: 0.4 }, 2),
      "needs 3 or more",
      "at least 3 clients",
    );
  });
});
