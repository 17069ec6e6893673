import { format0G } from "../chain/amount.js";
import type { JobView } from "../jobs/types.js";
import type { Ui } from "../ui.js";

export function printJob(ui: Ui, job: JobView): void {
  ui.title(`Job ${job.id} — ${job.status}`);
  ui.info("submitter", job.submitter);
  const reward = { open: `${format0G(job.reward)} escrowed`, completed: "paid to the payee", cancelled: "refunded to the submitter" };
  ui.info("reward", reward[job.status]);
  ui.info("deadline", new Date(Number(job.deadline) * 1000).toISOString());
  ui.info("data root", job.dataRoot);
  ui.info("model root", job.modelRoot);
  ui.info("result hash", job.resultHash ?? "(none yet)");
  if (job.resultRoot !== undefined) ui.info("result root", job.resultRoot);
  ui.info("contract", `${job.contract} (${job.networkName}, chain ${job.chainId})`);
}
