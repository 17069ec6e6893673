import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { useConnection } from "../chain/connection.js";
import { parseId } from "../chain/ids.js";
import { requireOptions } from "../cli/options.js";
import { Ui } from "../ui.js";

import { accountAt } from "../cli/accounts.js";
import { pollSeconds, printEvent } from "../cli/follow-args.js";

/** flai:fl-client's arguments as src/task-definitions.ts declares them (an option left out is undefined). */
export interface FlClientTaskArguments {
  task?: string;
  data?: string;
  account: number;
  follow: boolean;
  poll?: string;
  json: boolean;
}

export default async function flClient(args: FlClientTaskArguments, hre: HardhatRuntimeEnvironment) {
  requireOptions("flai:fl-client", args, ["task", "data"], "flai:fl-client --task 1 --data client-1.json --account 1");
  const taskId = parseId(args.task, "task", "--task");
  const poll = pollSeconds(args, "flai:fl-client");
  const data = args.data;
  const ui = new Ui({ json: args.json });
  const connection = await useConnection(hre);
  const signer = await accountAt(connection, args.account);
  if (args.follow) {
    // Runs until the task is finished or cancelled; each event is printed as it happens.
    await hre.flai.federated.followClient({ taskId, data, signer, connection, pollSeconds: poll, onEvent: printEvent(ui) });
    return;
  }
  const r = await ui.progress(`Client ${signer.address}: training and submitting`, () =>
    hre.flai.federated.runClient({ taskId, data, signer, connection }),
  );
  ui.ok(`Update recorded for round ${r.round} of task ${r.taskId} by ${r.client}`);
  ui.info("num_examples", r.numExamples);
  ui.info("local", `accuracy ${r.local.accuracy.toFixed(4)}, log-loss ${r.local.loss.toFixed(4)}`);
  ui.info("update root", r.updateRoot);
  ui.info("sha256", r.updateHash);
  ui.info("tx", `${r.txHash} (gas ${r.gasUsed})`);
  ui.result(r);
}
