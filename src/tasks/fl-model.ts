import path from "node:path";

import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { useConnection } from "../chain/connection.js";
import { parseId, parseRound } from "../chain/ids.js";
import { optionalText, requireOptions, subjectId } from "../cli/options.js";
import { Ui } from "../ui.js";
import { writeFileAtomic } from "../util/fs.js";

/** flai:fl-model's arguments as src/task-definitions.ts declares them (an option left out is undefined). */
export interface FlModelTaskArguments {
  /** The task id given positionally (`flai:fl-model 1 --out m.json`); --task gives it too. */
  taskId?: string;
  task?: string;
  out?: string;
  round?: string;
  account: number;
  json: boolean;
}

/** A task's global model, read by its on-chain root, opened with the account's key when private, hash-checked, written to --out. */
export default async function flModel(args: FlModelTaskArguments, hre: HardhatRuntimeEnvironment) {
  const example = "flai:fl-model 1 --out model.json";
  const taskId = parseId(subjectId("flai:fl-model", "task", args.taskId, args.task, example), "task", "--task");
  requireOptions("flai:fl-model", args, ["out"], example);
  const out = path.resolve(optionalText(args.out, "--out")!);
  // Round 0 is the initial model, which parseRound (rounds 1..) does not take.
  const round = args.round === undefined ? undefined : args.round.trim() === "0" ? 0 : parseRound(args.round);
  const ui = new Ui({ json: args.json });
  const connection = await useConnection(hre);
  const read = await hre.flai.federated.readGlobalModel(taskId, { round, account: args.account, connection });
  await writeFileAtomic(out, read.bytes);
  ui.ok(
    `Task ${read.taskId}'s ${read.round === 0 ? "initial model" : `round ${read.round} global model`} written to ${path.relative(process.cwd(), out)}`,
  );
  ui.info("stored", `${read.root} (${read.private ? "encrypted: opened with the task key" : "plaintext: a public task"})`);
  ui.info("sha256", `${read.hash} = on-chain`);
  ui.result({ taskId: read.taskId, round: read.round, root: read.root, hash: read.hash, private: read.private, out });
}
