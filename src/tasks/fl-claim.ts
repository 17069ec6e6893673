import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { format0G } from "../chain/amount.js";
import { useConnection } from "../chain/connection.js";
import type { UnclaimableReason } from "../federated/types.js";
import { parseId, parseRound } from "../chain/ids.js";
import { subjectId } from "../cli/options.js";
import { Ui } from "../ui.js";

import { accountAt } from "../cli/accounts.js";

const SKIPPED: Record<UnclaimableReason, string> = {
  "already-claimed": "already claimed",
  rejected: "its update was rejected by the enclave: nothing owed",
};

/** flai:fl-claim's arguments as src/task-definitions.ts declares them (an option left out is undefined). */
export interface FlClaimTaskArguments {
  /** The task id given positionally (`flai:fl-claim 1`); --task gives it too. */
  taskId?: string;
  task?: string;
  round?: string;
  account: number;
  json: boolean;
}

/** `--round n` claims that round; without it, every finalized round the account is owed and has not claimed. */
export default async function flClaim(args: FlClaimTaskArguments, hre: HardhatRuntimeEnvironment) {
  const taskId = parseId(subjectId("flai:fl-claim", "task", args.taskId, args.task, "flai:fl-claim 1 --account 1"), "task", "--task");
  const round = args.round === undefined ? undefined : parseRound(args.round);
  const ui = new Ui({ json: args.json });
  const connection = await useConnection(hre);
  const signer = await accountAt(connection, args.account);
  if (round !== undefined) {
    const c = await hre.flai.federated.claim({ taskId, round, signer, connection });
    ui.ok(`${c.client} claimed ${format0G(c.amount)} for round ${c.round} of task ${c.taskId}`);
    ui.result(c);
    return;
  }
  const all = await ui.progress(`Claiming every reward ${signer.address} is owed`, () =>
    hre.flai.federated.claimAll({ taskId, signer, connection }),
  );
  for (const c of all.claimed) {
    ui.ok(`${c.client} claimed ${format0G(c.amount)} for round ${c.round} of task ${c.taskId}`);
  }
  for (const s of all.skipped) {
    ui.info(`round ${s.round}`, SKIPPED[s.reason]);
  }
  const total = all.claimed.reduce((sum, c) => sum + c.amount, 0n);
  ui.line(
    all.claimed.length === 0
      ? `Nothing to claim for ${all.client} in task ${all.taskId} now (rewards become claimable as rounds are finalized).`
      : `${all.client} claimed ${format0G(total)} in all for ${all.claimed.length} round(s) of task ${all.taskId}.`,
  );
  ui.result({ ...all, total });
}
