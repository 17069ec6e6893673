import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { useConnection } from "../chain/connection.js";
import { parseId } from "../chain/ids.js";
import { requireOptions, subjectId } from "../cli/options.js";
import { Ui } from "../ui.js";

import { accountAt } from "../cli/accounts.js";

/** flai:fl-admit's arguments as src/task-definitions.ts declares them (an option left out is undefined). */
export interface FlAdmitTaskArguments {
  /** The task id given positionally (`flai:fl-admit 1 --clients …`); --task gives it too. */
  taskId?: string;
  task?: string;
  clients?: string;
  account: number;
  json: boolean;
}

/** The creator admits more readers to a private task's models: another keyring, rooted on-chain. */
export default async function flAdmit(args: FlAdmitTaskArguments, hre: HardhatRuntimeEnvironment) {
  const example = "flai:fl-admit 1 --clients 0xA…,0xB…";
  const taskId = parseId(subjectId("flai:fl-admit", "task", args.taskId, args.task, example), "task", "--task");
  requireOptions("flai:fl-admit", args, ["clients"], example);
  const ui = new Ui({ json: args.json });
  const connection = await useConnection(hre);
  const signer = await accountAt(connection, args.account);
  const clients = args.clients!.split(",").filter((c) => c.trim() !== "");
  const a = await ui.progress("Admitting readers", () => hre.flai.federated.admit({ taskId, clients, signer, connection }));
  ui.ok(`Task ${a.taskId}: ${a.admitted.join(", ")} can now read every model of the task (and join its rounds)`);
  ui.info("keyring", a.keyringRoot);
  ui.info("tx", a.txHash);
  ui.result(a);
}
