import { writeFile } from "node:fs/promises";
import path from "node:path";

import { expect } from "chai";

import { pluginProject, runHardhat, type CliRun } from "../helpers/cli.js";
import { describeOutput, MAX_LINE_CHARS, outputProblems, recordedOutputs, type RecordedOutput } from "../helpers/error-output.js";
import { freePort } from "../helpers/net.js";

/**
 * Issue 15: the error output of every task the suite runs is scanned for stack traces, crash banners and
 * over-long lines. Every `hardhat` run through test/helpers/cli.ts runHardhat or processes.ts startHardhat,
 * and every plugin error expectFlaiError sees, is recorded (test/helpers/error-output.ts); the root `after`
 * hook below checks all of them once every test file has run (mocha runs them in one process, in no fixed
 * file order, and a root hook runs last whatever the order). This file's own table of failing tasks makes
 * sure the scan never passes on nothing when it runs alone.
 */

// Mistakes a user makes at the command line, each one a failing run that must end in a plain error.
const FAILING_RUNS: Array<[string, string[]]> = [
  ["a required option left out", ["flai:train"]],
  ["a job id that is not a number", ["flai:train", "--job", "abc"]],
  ["a job id beyond uint256", ["flai:job", "--job", `1${"0".repeat(80)}`]],
  ["a file that does not exist", ["flai:upload", "missing.bin"]],
  ["a folder where a file is expected", ["flai:upload", "."]],
  ["a root that is not 32 bytes", ["flai:download", "0x1234", "out.bin"]],
  ["a negative reward", ["flai:submit", "--data", "data.csv", "--model", "model.json", "--reward", "-1"]],
  ["a network the config does not have", ["flai:job", "--job", "1", "--network", "nosuch"]],
  ["a network nobody answers on", ["flai:job", "--job", "1", "--network", "dead"]],
  ["neither --job nor --task", ["flai:verify"]],
  ["a job's model read without --out", ["flai:result", "--job", "1"]],
  ["a job's model read before the job exists", ["flai:result", "--job", "1", "--out", "model.json"]],
  ["a federated task that does not exist", ["flai:fl-client", "--task", "1", "--data", "data.csv"]],
  ["an option the task does not have", ["flai:train", "--job", "1", "--epochs", "3"]],
  ["a job id given positionally and as a different --job", ["flai:job", "1", "--job", "2"]],
  ["a flag together with its deprecated former name", ["flai:fl-run", "--clip", "1", "--clipping-norm", "1"]],
];

describe("error output scan (issue 15)", function () {
  this.timeout(120_000);
  let project: string;
  let env: Record<string, string>;
  const runs = new Map<string, CliRun>();

  before(async () => {
    const deadPort = await freePort();
    ({ project, env } = await pluginProject(
      "flai-error-output",
      `networks: { dead: { type: "http", chainType: "l1", url: "http://127.0.0.1:${deadPort}" } }`,
    ));
    await writeFile(path.join(project, "data.csv"), "x,label\n1,0\n2,1\n");
    await writeFile(path.join(project, "model.json"), JSON.stringify({ type: "logistic-regression", epochs: 1 }));
    // Independent runs of a few hundred milliseconds each: side by side they take about as long as one.
    await Promise.all(FAILING_RUNS.map(async ([name, args]) => runs.set(name, await runHardhat(args, { cwd: project, env }))));
  });

  for (const [name, args] of FAILING_RUNS) {
    it(`${name} (hardhat ${args.join(" ").slice(0, 60)}) fails with a plain error, no stack trace`, () => {
      const run = runs.get(name)!;
      expect(run.code, run.stderr).to.not.equal(0);
      expect(outputProblems(asRecorded(args, run))).to.deep.equal([]);
    });
  }

  it("every run of this file was recorded for the scan", () => {
    const failed = recordedOutputs().filter(
      (output) => output.kind === "cli" && output.code !== 0 && output.testFile === "zz-error-output.test.ts",
    );
    expect(failed.length).to.be.at.least(FAILING_RUNS.length);
  });

  it("the same failure with --show-stack-traces does show frames, and the scan sees them", async () => {
    // What users see by default is clean because Hardhat hides a plugin error's stack, not because frames
    // cannot be detected: asked for, the stack is there and the scan flags it.
    const args = ["flai:upload", "missing.bin"];
    const run = await runHardhat([...args, "--show-stack-traces"], { cwd: project, env });
    expect(run.code).to.not.equal(0);
    const problems = outputProblems({ ...asRecorded(args, run) });
    expect(problems.some((problem) => problem.startsWith("a stack frame"))).to.equal(true, problems.join("\n"));
  });

  it("the scan flags a Node crash, Hardhat's unexpected-error report, a missing error line and a long line", () => {
    const crash =
      "node:internal/modules/run_main:107\n    triggerUncaughtException(\n    ^\n\nTypeError: x is not a function\n    at main (/p/src/a.ts:3:9)\n";
    expect(outputProblems(fake({ stderr: crash })).length).to.be.at.least(4);
    const unexpected = "An unexpected error occurred:\n\nError: boom\n    at run (file:///p/tasks/x.ts:1:2)\n";
    expect(outputProblems(fake({ stderr: unexpected })).join("\n")).to.contain("unexpected-error report");
    expect(outputProblems(fake({ stderr: "something went wrong\n" })).join("\n")).to.contain("without Hardhat's error line");
    const long = `Error in community plugin hardhat-flai: ${"x".repeat(MAX_LINE_CHARS)}\n`;
    expect(outputProblems(fake({ stderr: long })).join("\n")).to.contain("-character line on stderr");
    // A --json document on stdout is for programs: its length is the data's.
    expect(outputProblems(fake({ code: 0, stdout: `${JSON.stringify({ rows: "y".repeat(2 * MAX_LINE_CHARS) })}\n` }))).to.deep.equal([]);
    expect(
      outputProblems(fake({ stderr: "Error in community plugin hardhat-flai: Cannot read x: the file does not exist.\n" })),
    ).to.deep.equal([]);
  });
});

// Runs last, after every test file's tests: the scan of everything the suite recorded.
after(function () {
  const findings = recordedOutputs().flatMap((output) =>
    outputProblems(output).map((problem) => `${describeOutput(output)}\n    ${problem}`),
  );
  if (findings.length > 0) {
    throw new Error(
      `The error-output scan found ${findings.length} problem(s) in ${recordedOutputs().length} recorded outputs:\n${findings.join("\n")}`,
    );
  }
});

function asRecorded(args: string[], run: CliRun): RecordedOutput {
  return {
    kind: "cli",
    args,
    testFile: "zz-error-output.test.ts",
    code: run.code,
    stoppedByTest: false,
    stdout: run.stdout,
    stderr: run.stderr,
  };
}

function fake(output: Partial<RecordedOutput>): RecordedOutput {
  return { kind: "cli", args: ["flai:x"], testFile: "", code: 1, stoppedByTest: false, stdout: "", stderr: "", ...output };
}
