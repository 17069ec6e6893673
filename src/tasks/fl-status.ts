import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { format0G } from "../chain/amount.js";
import { roundRules, type GlobalModel } from "../federated/global-model.js";
import { describeProtection, protectionOf } from "../federated/round-rules.js";
import type { RoundPhase } from "../federated/round-state.js";
import { parseId } from "../chain/ids.js";
import { subjectId } from "../cli/options.js";
import { Ui } from "../ui.js";
import { flaiErrorCode } from "../errors.js";
import { NOT_ADMITTED } from "../federated/task-access.js";

/** flai:fl-status's arguments as src/task-definitions.ts declares them (an option left out is undefined). */
export interface FlStatusTaskArguments {
  /** The task id given positionally (`flai:fl-status 1`); --task gives it too. */
  taskId?: string;
  task?: string;
  json: boolean;
}

export default async function flStatus(args: FlStatusTaskArguments, hre: HardhatRuntimeEnvironment) {
  const taskId = parseId(subjectId("flai:fl-status", "task", args.taskId, args.task, "flai:fl-status 1"), "task", "--task");
  const ui = new Ui({ json: args.json });
  // Read-only: works without a private key. Phases are judged at the time the next block carries.
  const { task, rounds, now } = await hre.flai.federated.status(taskId);
  ui.title(`Federated task ${task.id} — ${task.status}${task.status === "active" ? `, round ${task.currentRound} of ${task.rounds}` : ""}`);
  ui.info("creator", task.creator);
  ui.info(
    "quorum",
    `${task.quorum} (a round closes at ${task.maxClients} updates, by the enclave once the quorum is met, or at its deadline)`,
  );
  ui.info("enclave", task.enclave);
  ui.info("reward pool", `${format0G(task.rewardPool)} (${format0G(task.paidOut)} paid out)`);
  ui.info("global model", `${task.globalRoot} (sha256 ${task.globalHash})`);
  ui.info("measurement", task.measurement);
  // The task's rules are in its global model (storage); without it, rounds are listed without them.
  const read = await hre.flai.federated.globalModel(taskId).then(
    (m) => ({ model: m }),
    (error: unknown) => ({ error }),
  );
  const model: GlobalModel | undefined = "model" in read ? read.model : undefined;
  if ("error" in read && flaiErrorCode(read.error) === NOT_ADMITTED) {
    ui.info("privacy", "private task: its models are encrypted and this account is not admitted (its rules are not shown)");
  }
  const rules = model === undefined ? undefined : roundRules(model);
  if (rules !== undefined) {
    ui.info(
      "round rules",
      `min ${rules.minAccepted} accepted, max client share ${rules.maxClientShare}, max update norm ${rules.maxUpdateNorm}, ${rules.rewardRule} rewards`,
    );
  }
  // ε per round is in the on-chain metrics word; the total over rounds 1..r follows from the task's
  // noise multiplier and δ (the RDP accountant composes equal rounds exactly).
  const protection = (r: (typeof rounds)[number]) =>
    rules !== undefined && r.finalized
      ? protectionOf(r.acceptedCount, r.metrics?.epsilon ?? 0, rules, model!.federated.strategy, r.round)
      : undefined;
  const privacy = (r: (typeof rounds)[number]) => {
    const dp = protection(r)?.dp;
    if (dp === null || dp === undefined)
      return r.metrics !== undefined && r.metrics.epsilon > 0 ? `, ε ${r.metrics.epsilon} this round` : "";
    return `, ε ${round3(dp.epsilon)} this round, ${round3(dp.epsilonTotal ?? dp.epsilon)} total over rounds 1–${r.round} (δ ${dp.delta})`;
  };
  for (const r of rounds) {
    const finalized = () =>
      `finalized — ${r.acceptedCount} accepted, ${r.rejectedCount ?? 0} rejected, accuracy ${r.metrics?.accuracy.toFixed(4)}` +
      privacy(r) +
      (rules !== undefined ? `; protected by: ${describeProtection(protection(r)!)}` : "");
    const at = (t: bigint) => new Date(Number(t) * 1000).toISOString();
    const state: Record<RoundPhase, () => string> = {
      finalized,
      open: () => `open until ${at(r.deadline)} — ${r.updateCount} of ${task.quorum} updates`,
      "awaiting-result": () =>
        `closed with ${r.updateCount} updates — awaiting the enclave's result (cancellable after ${at(r.finalizeBy)})`,
      "failed-no-quorum": () =>
        `failed — closed at its deadline ${at(r.deadline)} with ${r.updateCount} of ${task.quorum} updates: the creator can cancel`,
      "failed-not-finalized": () => `failed — ${r.updateCount} updates but not finalized by ${at(r.finalizeBy)}: the creator can cancel`,
      "not-started": () => "not started",
    };
    ui.info(`round ${r.round}`, state[r.phase]());
  }
  ui.result({ task, rules, now, rounds: rounds.map((r) => ({ ...r, protection: protection(r) })) });
}

const round3 = (x: number) => Math.round(x * 1000) / 1000;
