import path from "node:path";

import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { parseId } from "../chain/ids.js";
import { pickSubject, requireOptions, subjectLabel } from "../cli/options.js";
import { flaiError } from "../errors.js";
import { Ui } from "../ui.js";
import { writeFileAtomic } from "../util/fs.js";

/** flai:result's arguments as src/task-definitions.ts declares them (an option left out is undefined). */
export interface ResultTaskArguments {
  /** The job id given positionally (`flai:result 1`); --job gives it too. */
  jobId?: string;
  job?: string;
  out?: string;
  account: number;
  json: boolean;
}

export default async function result(args: ResultTaskArguments, hre: HardhatRuntimeEnvironment) {
  // The job id and --out are checked as one, so a user fixes both in one go.
  const given = { job: pickSubject("flai:result", "job", args.jobId, args.job), out: args.out };
  requireOptions("flai:result", given, ["job", "out"], "flai:result 1 --out model.json", { job: subjectLabel("job") });
  const jobId = parseId(given.job, "job", "--job");
  if (!Number.isInteger(args.account) || args.account < 0) {
    throw flaiError(`--account must be a whole number ≥ 0 (an index into the network's accounts), got ${args.account}.`);
  }
  const out = path.resolve(given.out);
  const ui = new Ui({ json: args.json });
  const read = await ui.progress(`Reading job ${jobId}'s model`, () => hre.flai.jobs.readResult(jobId, { account: args.account }));
  await writeModel(out, read.bytes);
  ui.ok(`Wrote ${path.relative(process.cwd(), out)}: sha256 = on-chain result hash ${read.job.resultHash}`);
  ui.info("stored", `${read.job.resultRoot} (${read.private ? "encrypted to the submitter, decrypted here" : "public, plaintext"})`);
  ui.result({ jobId: read.job.id, out, resultHash: read.job.resultHash, resultRoot: read.job.resultRoot, private: read.private });
}

/** The model's bytes into a new file: never over an existing one (the user names it). */
async function writeModel(file: string, bytes: Uint8Array): Promise<void> {
  try {
    await writeFileAtomic(file, bytes, { overwrite: false });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === undefined) throw error;
    const why: Record<string, string> = {
      EEXIST: "it already exists — pass another --out (nothing was overwritten)",
      EISDIR: "it is a folder — pass a file path",
      ENOTDIR: "a part of its path is a file, not a folder — pass a path inside a folder",
      ENOENT: "its folder does not exist — create it or pass another --out",
      EACCES: "permission denied — pass a path you can write",
    };
    throw flaiError(`--out: cannot write ${file} (${code}): ${why[code] ?? "pass another --out"}.`, error);
  }
}
