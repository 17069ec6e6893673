import path from "node:path";

import { expect } from "chai";
import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { trimWarning } from "../../src/cli/strategy-args.js";

import { FIXTURES, tempProject } from "../helpers/project.js";
import { taskLines } from "../helpers/task-output.js";

// Issue 15 (row 115's other half): flai:fl-run refuses a --trim-fraction with ⌊trim·clients⌋ = 0; flai:fl-create
// cannot know the final number of updates (from --quorum up to --max-clients), so it creates the task
// but warns, naming the share trimmed at the quorum and how to get what --trim-fraction says.
describe("bad input (issue 15): flai:fl-create warns about a --trim-fraction that trims nothing at the quorum", () => {
  let hre: HardhatRuntimeEnvironment;

  before(async () => {
    ({ hre } = await tempProject());
  });

  const createArgs = (extra: Record<string, unknown>) => ({
    model: path.join(FIXTURES, "model.json"),
    test: path.join(FIXTURES, "data.json"),
    standardizeOn: path.join(FIXTURES, "data.csv"),
    rounds: 1,
    reward: "1",
    strategy: "trimmed-mean",
    json: false,
    ...extra,
  });

  it("--trim-fraction 0.1 --quorum 5: the task is created, with a warning naming the share 0.200 and the fixes", async () => {
    const lines = await taskLines(hre, "flai:fl-create", createArgs({ trimFraction: "0.1", quorum: 5 }));
    const warning = lines.find((line) => line.startsWith("Warning: "));
    expect(warning, lines.join("\n")).to.not.equal(undefined);
    expect(warning).to.contain("--trim-fraction 0.1 with --quorum 5 trims ⌊0.1·5⌋ = 0 updates per end");
    expect(warning).to.contain("a share of 0.200").and.contain("--quorum 10 or more").and.contain("--trim-fraction 0.200 or more");
    expect(lines.some((line) => line.includes("Federated task"))).to.equal(true);
  });

  it("with --json the warning is a field of the result; a --trim-fraction that trims at the quorum has none", async () => {
    const warned = JSON.parse(
      (await taskLines(hre, "flai:fl-create", createArgs({ trimFraction: "0.1", quorum: 5, json: true }))).join("\n"),
    );
    expect(warned.warning).to.contain("⌊0.1·5⌋ = 0");
    expect(warned.taskId).to.be.a("string");
    const fine = JSON.parse(
      (await taskLines(hre, "flai:fl-create", createArgs({ trimFraction: "0.2", quorum: 5, json: true }))).join("\n"),
    );
    expect(fine).to.not.have.property("warning");
  });

  it("names --max-clients when it keeps every round below what --trim-fraction needs; below quorum 3 only a larger quorum helps", () => {
    expect(trimWarning(0.1, 5, 8)).to.contain("never trims as typed, since --max-clients 8");
    expect(trimWarning(0.1, 5, 20)).to.contain("only in a round that closes with 10 or more updates");
    const two = trimWarning(0.3, 2)!;
    expect(two).to.contain("--quorum 4 or more").and.not.contain("--trim-fraction 0.500");
    expect(trimWarning(undefined, 2)).to.equal(undefined);
    expect(trimWarning(0.2, 5)).to.equal(undefined);
  });
});
