import { styleText } from "node:util";

import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { flaiError } from "../src/errors.js";
import { Ui } from "../src/ui.js";
import { overallVerdict, type Verdict, type VerifyItem } from "../src/verify/common.js";

const MARK: Record<Verdict, string> = {
  match: styleText("green", "✔"),
  mismatch: styleText("red", "✗"),
  "cannot check": styleText("yellow", "?"),
};

export default async function verify(
  args: { job: string; task: string; round: number; json: boolean },
  hre: HardhatRuntimeEnvironment,
) {
  const job = args.job.trim();
  const task = args.task.trim();
  if ((job === "") === (task === "")) {
    throw flaiError(
      job === ""
        ? "flai:verify needs what to verify: --job <id> (a compute job) or --task <id> [--round <n>] (a federated task's rounds)."
        : "flai:verify checks one thing at a time: give --job <id> or --task <id>, not both.",
    );
  }
  if (job !== "" && args.round !== 0) {
    throw flaiError("--round applies to --task only; a job has no rounds.");
  }
  const ui = new Ui({ json: args.json });
  const subject = job !== "" ? `job ${job}` : args.round === 0 ? `task ${task} (all finalized rounds)` : `task ${task}, round ${args.round}`;
  ui.title(`Verifying ${subject} from the chain and storage`);
  const items = await ui.progress("Verifying", () =>
    job !== ""
      ? hre.flai.verify.job(job)
      : hre.flai.verify.round(task, args.round === 0 ? undefined : args.round),
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
  ui.result({ subject: job !== "" ? { job } : { task, round: args.round === 0 ? null : args.round }, verdict, items });
  if (verdict === "mismatch") {
    throw flaiError(`Verification of ${subject} failed: ${mismatches(items)}.`);
  }
}

function mismatches(items: VerifyItem[]): string {
  return items
    .filter((i) => i.verdict === "mismatch")
    .map((i) => i.item)
    .join(", ");
}
