import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { format0G } from "../src/amount.js";
import { useConnection } from "../src/connection.js";
import { flaiError } from "../src/errors.js";
import { Ui } from "../src/ui.js";

import { accountAt } from "./accounts.js";

export default async function flClaim(args: { task: string; round: number; account: number; json: boolean }, hre: HardhatRuntimeEnvironment) {
  if (args.task === "" || args.round === 0) {
    throw flaiError("flai:fl-claim needs --task <id> and --round <n>.");
  }
  const ui = new Ui({ json: args.json });
  const connection = await useConnection(hre);
  const signer = await accountAt(connection, args.account);
  const c = await hre.flai.fedavg.claim({ taskId: args.task, round: args.round, signer, connection });
  ui.ok(`${c.client} claimed ${format0G(c.amount)} for round ${c.round} of task ${c.taskId}`);
  ui.result(c);
}
