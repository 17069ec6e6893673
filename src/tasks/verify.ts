import { styleText } from "node:util";

import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { flaiError } from "../errors.js";
import { parseId, parseRound } from "../chain/ids.js";
import { optionalWhole } from "../cli/options.js";
import { Ui } from "../ui.js";
import { overallVerdict, type Verdict, type VerifyItem } from "../verify/common.js";

const MARK: Record<Verdict, string> = {
  match: styleText("green", "✔"),
  mismatch: styleText("red", "✗"),
  "cannot check": styleText("yellow", "?"),
};

/** flai:verify's arguments as src/task-definitions.ts declares them (an option left out is undefined). */
export interface VerifyTaskArguments {
  job?: string;
  task?: string;
  round?: string;
  account?: string;
  json: boolean;
}

export default async function verify(args: VerifyTaskArguments, hre: HardhatRuntimeEnvironment) {
  const { job, task, round } = subjectOf(args);
  const ui = new Ui({ json: args.json });
  const subject =
    job !== undefined ? `job ${job}` : round === undefined ? `task ${task} (all finalized rounds)` : `task ${task}, round ${round}`;
  ui.title(`Verifying ${subject} from the chain and storage`);
  // With an account, its reader key opens what it may (a private job's submitter: the inputs and model).
  const account = optionalWhole(args.account, "--account", {
    min: 0,
    hint: "an index into the network's accounts (a private job's submitter, an admitted reader of a private task)",
  });
  const items = await ui.progress("Verifying", () =>
    job !== undefined ? hre.flai.verify.job(job, { account }) : hre.flai.verify.round(task!, round, { account }),
  );
  for (const i of items) {
    ui.line(`${MARK[i.verdict]} ${i.item}: ${i.detail}`);
  }
  const verdict = overallVerdict(items);
  const count = (v: Verdict) => items.filter((i) => i.verdict === v).length;
  const summary = `${count("match")} match, ${count("mismatch")} mismatch, ${count("cannot check")} cannot be checked`;
  ui.line();
  ui.line(
    verdict === "match"
      ? `${MARK.match} Verified: every one of the ${items.length} checks matches the chain.`
      : verdict === "mismatch"
        ? `${MARK.mismatch} NOT verified: ${summary}.`
        : `${MARK["cannot check"]} No mismatch found, but not everything could be checked: ${summary}.`,
  );
  ui.result({ subject: job !== undefined ? { job } : { task, round: round ?? null }, verdict, items });
  if (verdict === "mismatch") {
    throw flaiError(`Verification of ${subject} failed: ${mismatches(items)}.`);
  }
}

/** What to verify: exactly one of --job and --task; --round only with --task. */
function subjectOf(args: { job?: string; task?: string; round?: string }): { job?: bigint; task?: bigint; round?: number } {
  if ((args.job === undefined) === (args.task === undefined)) {
    throw flaiError(
      args.job === undefined
        ? "flai:verify needs what to verify: --job <id> (a compute job) or --task <id> [--round <n>] (a federated task's rounds). Example: npx hardhat flai:verify --job 1"
        : "flai:verify checks one thing at a time: give --job <id> or --task <id>, not both.",
    );
  }
  if (args.job !== undefined) {
    if (args.round !== undefined) {
      throw flaiError("--round applies to --task only; a job has no rounds. Remove --round.");
    }
    return { job: parseId(args.job, "job", "--job") };
  }
  return { task: parseId(args.task!, "task", "--task"), round: args.round === undefined ? undefined : parseRound(args.round) };
}

function mismatches(items: VerifyItem[]): string {
  return items
    .filter((i) => i.verdict === "mismatch")
    .map((i) => i.item)
    .join(", ");
}
