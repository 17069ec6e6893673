import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { useConnection } from "../src/connection.js";
import { flaiError } from "../src/errors.js";
import { Ui } from "../src/ui.js";

import { accountAt } from "./accounts.js";

export default async function flClient(args: { task: string; data: string; account: number; json: boolean }, hre: HardhatRuntimeEnvironment) {
  if (args.task === "" || args.data === "") {
    throw flaiError("flai:fl-client needs --task <id> and --data <file>.");
  }
  const ui = new Ui({ json: args.json });
  const connection = await useConnection(hre);
  const signer = await accountAt(connection, args.account);
  const r = await ui.progress(`Client ${signer.address}: training and submitting`, () =>
    hre.flai.fedavg.runClient({ taskId: args.task, data: args.data, signer, connection }),
  );
  ui.ok(`Update recorded for round ${r.round} of task ${r.taskId} by ${r.client}`);
  ui.info("samples", r.sampleCount);
  ui.info("local", `accuracy ${r.local.accuracy.toFixed(4)}, log-loss ${r.local.loss.toFixed(4)}`);
  ui.info("update root", r.updateRoot);
  ui.info("sha256", r.updateHash);
  ui.info("tx", `${r.txHash} (gas ${r.gasUsed})`);
  ui.result(r);
}
