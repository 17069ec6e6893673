import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { useConnection } from "../chain/connection.js";
import { parseId } from "../chain/ids.js";
import { pickSubject, requireOptions, subjectLabel } from "../cli/options.js";
import { Ui } from "../ui.js";

import { accountAt } from "../cli/accounts.js";
import { pollSeconds, printEvent } from "../cli/follow-args.js";

/** flai:fl-client's arguments as src/task-definitions.ts declares them (an option left out is undefined). */
export interface FlClientTaskArguments {
  /** The task id given positionally (`flai:fl-client 1`); --task gives it too. */
  taskId?: string;
  task?: string;
  data?: string;
  account: number;
  follow: boolean;
  poll?: string;
  json: boolean;
}

export default async function flClient(args: FlClientTaskArguments, hre: HardhatRuntimeEnvironment) {
  // The task id and --data are checked as one, so a user fixes both in one go.
  const given = { task: pickSubject("flai:fl-client", "task", args.taskId, args.task), data: args.data };
  requireOptions("flai:fl-client", given, ["task", "data"], "flai:fl-client 1 --data client-1.json --account 1", {
    task: subjectLabel("task"),
  });
  const taskId = parseId(given.task, "task", "--task");
  const poll = pollSeconds(args, "flai:fl-client");
  const data = given.data;
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
