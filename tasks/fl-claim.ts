import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { format0G } from "../src/amount.js";
import { useConnection } from "../src/connection.js";
import { parseId, parseRound } from "../src/ids.js";
import { requireOptions } from "../src/task-args.js";
import { Ui } from "../src/ui.js";

import { accountAt } from "./accounts.js";

export default async function flClaim(args: { task?: string; round?: string; account: number; json: boolean }, hre: HardhatRuntimeEnvironment) {
  requireOptions("flai:fl-claim", args, ["task", "round"], "flai:fl-claim --task 1 --round 1 --account 1");
  const taskId = parseId(args.task, "task", "--task");
  const round = parseRound(args.round);
  const ui = new Ui({ json: args.json });
  const connection = await useConnection(hre);
  const signer = await accountAt(connection, args.account);
  const c = await hre.flai.fedavg.claim({ taskId, round, signer, connection });
  ui.ok(`${c.client} claimed ${format0G(c.amount)} for round ${c.round} of task ${c.taskId}`);
  ui.result(c);
}
