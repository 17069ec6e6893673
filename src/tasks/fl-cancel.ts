import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { format0G } from "../chain/amount.js";
import { useConnection } from "../chain/connection.js";
import { parseId } from "../chain/ids.js";
import { subjectId } from "../cli/options.js";
import { Ui } from "../ui.js";

import { accountAt } from "../cli/accounts.js";

/** flai:fl-cancel's arguments as src/task-definitions.ts declares them (an option left out is undefined). */
export interface FlCancelTaskArguments {
  /** The task id given positionally (`flai:fl-cancel 1`); --task gives it too. */
  taskId?: string;
  task?: string;
  account: number;
  json: boolean;
}

/** The creator cancels a task whose current round failed; the pools of the rounds not finalized come back. */
export default async function flCancel(args: FlCancelTaskArguments, hre: HardhatRuntimeEnvironment) {
  const taskId = parseId(subjectId("flai:fl-cancel", "task", args.taskId, args.task, "flai:fl-cancel 1"), "task", "--task");
  const ui = new Ui({ json: args.json });
  const connection = await useConnection(hre);
  const signer = await accountAt(connection, args.account);
  const c = await hre.flai.federated.cancel({ taskId, signer, connection });
  ui.ok(`Task ${c.taskId} cancelled at its failed round ${c.round}: ${format0G(c.refund)} refunded to the creator ${c.creator}`);
  ui.info("tx", c.txHash);
  ui.line("Rewards of rounds finalized before stay claimable (flai:fl-claim).");
  ui.result(c);
}
