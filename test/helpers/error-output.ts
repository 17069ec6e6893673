import { appendFileSync } from "node:fs";
import os from "node:os";

import { isFlaiError } from "../../src/errors.js";
import { packageRoot } from "../../src/package-root.js";

/**
 * The error-output scan (issue 15): every `hardhat` the tests run (runHardhat, startHardhat) and every
 * plugin error a test expects (expectFlaiError) is recorded here, and test/e2e/zz-error-output.test.ts checks
 * all of them once the suite is done for what a user must never see: stack frames, Node's crash banners,
 * Hardhat's "unexpected error" report, or a line too long to read.
 * Mocha runs every test file in one process, so a module-level list sees all of them.
 */

export interface RecordedOutput {
  /** "cli": a finished `hardhat` process; "thrown": a plugin error's message as Hardhat prints it. */
  kind: "cli" | "thrown";
  /** The hardhat arguments (task and options), or for "thrown" nothing. */
  args: string[];
  /** The test file that made it (from the call stack), so a finding names where to look. */
  testFile: string;
  code: number | null;
  /** The test itself stopped the process (a signal it sent): its exit code says nothing about an error. */
  stoppedByTest: boolean;
  stdout: string;
  stderr: string;
}

const recorded: RecordedOutput[] = [];

/** Set to a file path to also get every recorded output as JSON lines (to look at a whole suite's runs). */
const LOG_ENV = "FLAI_TEST_OUTPUT_LOG";

export function recordOutput(output: Omit<RecordedOutput, "testFile"> & { testFile?: string }): void {
  const entry = { ...output, testFile: output.testFile ?? callerTestFile() };
  recorded.push(entry);
  const log = process.env[LOG_ENV];
  if (log !== undefined && log !== "") appendFileSync(log, `${JSON.stringify(entry)}\n`);
}

/**
 * A plugin error a test caught, recorded as Hardhat's CLI prints it (its message; the stack only with
 * --show-stack-traces). Other errors are not what a task shows a user and are left out.
 */
export function recordThrown(error: unknown): void {
  if (!isFlaiError(error)) return;
  recordOutput({
    kind: "thrown",
    args: [],
    code: 1,
    stoppedByTest: false,
    stdout: "",
    stderr: `Error in community plugin hardhat-flai: ${error.message}\n`,
  });
}

export function recordedOutputs(): readonly RecordedOutput[] {
  return recorded;
}

/** The file name of the first *.test.ts frame under test/ (any folder) of the current stack (helpers are skipped), or "" if none. */
export function callerTestFile(): string {
  for (const line of (new Error().stack ?? "").split("\n")) {
    const match = /\/test\/(?:[^/]+\/)*?([^/]+\.test\.ts)/.exec(line);
    if (match !== null) return match[1]!;
  }
  return "";
}

/**
 * The longest line a person can be expected to read in an error or a task's text output. The longest
 * legitimate lines the suite prints are help and table rows (~200 characters); excerpts of user data are
 * capped well below this (src/util/excerpt.ts), so a longer line is unbounded echoed input or a dump.
 */
export const MAX_LINE_CHARS = 600;

// How Hardhat's CLI starts a well-formed error: its own (HHE…), a bundled plugin's, or ours.
const ERROR_LINE = /^Error (HHE\d+( in plugin \S+)?|in community plugin hardhat-flai):/m;

/** Things that mean a crash or an unhandled error reached the user, with what each one is. */
const CRASH_SIGNS: Array<[RegExp, string]> = [
  [/^\s+at .+(\(.*:\d+:\d+\)|:\d+:\d+)\s*$/m, "a stack frame"],
  [/node:internal/, "a Node internal frame"],
  [/\bfile:\/\/\S+:\d+:\d+/, "a file:// frame"],
  [/\/\S+\.(ts|js|mjs|cjs):\d+:\d+/, "a source position (path:line:col)"],
  [/\bUncaught\b/, "an uncaught-exception banner"],
  [/triggerUncaughtException/, "Node's uncaught-exception banner"],
  [/UnhandledPromiseRejection/, "an unhandled promise rejection"],
  [/^(TypeError|RangeError|ReferenceError|SyntaxError|AssertionError)\b/m, "a JavaScript error printed raw"],
  [/An unexpected error occurred:/, "Hardhat's unexpected-error report (a non-plugin error escaped a task)"],
];

// The escape character is the point: this strips terminal colour codes (ESC [ … m) before matching text.
// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-9;]*m/g;

/** What is wrong with one recorded output; empty when it is clean. */
export function outputProblems(output: RecordedOutput): string[] {
  const problems: string[] = [];
  const stderr = output.stderr.replace(ANSI, "");
  const stdout = output.stdout.replace(ANSI, "");
  // A run asked for stack traces shows them on purpose; it is not what a user sees by default.
  const stacksWanted = output.args.includes("--show-stack-traces");
  if (!stacksWanted) {
    for (const [sign, what] of CRASH_SIGNS) {
      const line = firstMatchingLine(stderr, sign);
      if (line !== undefined) problems.push(`${what} on stderr: ${shorten(line)}`);
    }
  }
  const failed = output.kind === "cli" && output.code !== 0 && !output.stoppedByTest;
  if (failed && !ERROR_LINE.test(stderr)) {
    problems.push(
      `exit code ${String(output.code)} without Hardhat's error line ("Error HHE…:" / "Error in community plugin hardhat-flai:"); stderr ends: ${shorten(lastLines(stderr))}`,
    );
  }
  for (const [name, text] of [
    ["stderr", stderr],
    ["stdout", stdout],
  ] as const) {
    const long = longLine(text, name === "stdout");
    if (long !== undefined) problems.push(`a ${placeLength(long)}-character line on ${name}: ${shorten(long)}`);
  }
  return problems;
}

/**
 * The first line over MAX_LINE_CHARS. On stdout a line that is a whole JSON value is exempt: `--json`
 * documents and JSON-lines events are for programs, and their length is the data's. The checkout's and
 * the temp folder's paths count as a few characters: a message's length must not depend on where the
 * suite runs (a fresh clone in a deeper folder).
 */
function longLine(text: string, jsonExempt: boolean): string | undefined {
  return text.split("\n").find((line) => placeLength(line) > MAX_LINE_CHARS && !(jsonExempt && isJson(line)));
}

const PLACES = [packageRoot(), os.tmpdir()].filter((place) => place.length > 1);

function placeLength(line: string): number {
  return PLACES.reduce((text, place) => text.split(place).join("<p>"), line).length;
}

function isJson(line: string): boolean {
  try {
    JSON.parse(line);
    return true;
  } catch {
    return false;
  }
}

function firstMatchingLine(text: string, pattern: RegExp): string | undefined {
  return text.split("\n").find((line) => new RegExp(pattern.source, pattern.flags.replace("m", "")).test(line));
}

function lastLines(text: string): string {
  return text.trimEnd().split("\n").slice(-3).join(" ⏎ ");
}

function shorten(text: string): string {
  return text.length > 200 ? `${text.slice(0, 200)}… (${text.length} characters)` : text;
}

/** A finding's heading: the test file and the command. */
export function describeOutput(output: RecordedOutput): string {
  const command = output.kind === "cli" ? `hardhat ${output.args.join(" ")}` : "a plugin error it expected";
  return `${output.testFile || "(unknown test file)"}: ${shorten(command)}`;
}
