import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { format0G } from "../chain/amount.js";
import { useConnection } from "../chain/connection.js";
import { parseId } from "../chain/ids.js";
import { requireOptions } from "../cli/options.js";
import { Ui } from "../ui.js";

import { accountAt } from "../cli/accounts.js";

/** flai:fl-cancel's arguments as src/task-definitions.ts declares them (an option left out is undefined). */
export interface FlCancelTaskArguments {
  task?: string;
  account: number;
  json: boolean;
}

/** The creator cancels a task whose current round failed; the pools of the rounds not finalized come back. */
export default async function flCancel(args: FlCancelTaskArguments, hre: HardhatRuntimeEnvironment) {
  requireOptions("flai:fl-cancel", args, ["task"], "flai:fl-cancel --task 1");
  const taskId = parseId(args.task, "task", "--task");
  const ui = new Ui({ json: args.json });
  const connection = await useConnection(hre);
  const signer = await accountAt(connection, args.account);
  const c = await hre.flai.federated.cancel({ taskId, signer, connection });
  ui.ok(`Task ${c.taskId} cancelled at its failed round ${c.round}: ${format0G(c.refund)} refunded to the creator ${c.creator}`);
  ui.info("tx", c.txHash);
  ui.line("Rewards of rounds finalized before stay claimable (flai:fl-claim).");
  ui.result(c);
}
