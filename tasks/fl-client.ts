import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { useConnection } from "../src/connection.js";
import { parseId } from "../src/ids.js";
import { requireOptions } from "../src/task-args.js";
import { Ui } from "../src/ui.js";

import { accountAt } from "./accounts.js";

export default async function flClient(args: { task?: string; data?: string; account: number; json: boolean }, hre: HardhatRuntimeEnvironment) {
  requireOptions("flai:fl-client", args, ["task", "data"], "flai:fl-client --task 1 --data client-1.json --account 1");
  const taskId = parseId(args.task, "task", "--task");
  const data = args.data;
  const ui = new Ui({ json: args.json });
  const connection = await useConnection(hre);
  const signer = await accountAt(connection, args.account);
  const r = await ui.progress(`Client ${signer.address}: training and submitting`, () =>
    hre.flai.fedavg.runClient({ taskId, data, signer, connection }),
  );
  ui.ok(`Update recorded for round ${r.round} of task ${r.taskId} by ${r.client}`);
  ui.info("samples", r.sampleCount);
  ui.info("local", `accuracy ${r.local.accuracy.toFixed(4)}, log-loss ${r.local.loss.toFixed(4)}`);
  ui.info("update root", r.updateRoot);
  ui.info("sha256", r.updateHash);
  ui.info("tx", `${r.txHash} (gas ${r.gasUsed})`);
  ui.result(r);
}
