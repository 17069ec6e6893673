import { format0G } from "../chain/amount.js";
import type { PingResult, SettlementObservation } from "../market/types.js";
import type { Ui } from "../ui.js";

/**
 * The seed's request printout, made honest about money: the fee this request owes, what the
 * provider says is unsettled, and "settled" only when the chain shows a settlement.
 */
export function printPing(ui: Ui, r: PingResult): void {
  ui.line(`Endpoint: ${r.endpoint}`);
  ui.line(`Model: ${r.model}`);
  ui.line("Auth headers generated.");
  ui.line();
  ui.line(`AI Response: ${r.answer}`);
  ui.line(`Chat ID: ${r.chatId}`);
  ui.line(`processResponse: Valid (signed by the acknowledged TEE signer ${r.signature.signer})`);
  ui.line("Signed text:   sha256(request):sha256(response) of the bodies exchanged (checked by hardhat-flai)");
  ui.line();
  ui.line(`Fee owed:      ${format0G(r.fee)} (${r.usage.prompt_tokens} input + ${r.usage.completion_tokens} output tokens)`);
  ui.line(
    `Unsettled:     ${r.unsettled === undefined ? "not reported by the provider" : `${format0G(r.unsettled)} in all, as the provider reports`}`,
  );
  printSettlement(ui, r.settlement);
}

/** One settlement observation: "settled" only with on-chain evidence (the sub-account nonce moved). */
export function printSettlement(ui: Ui, s: SettlementObservation): void {
  if (!s.settled) {
    ui.line("Settled:       nothing yet (the provider settles in batches, on its own schedule)");
    ui.line(`Ledger:        ${format0G(s.after.ledgerTotal)}`);
    return;
  }
  ui.line(`Settled:       ${format0G(s.amount)} on-chain (settleFeesWithTEE; settlement nonce ${s.before.nonce} → ${s.after.nonce})`);
  ui.line(`Ledger before: ${format0G(s.before.ledgerTotal)}`);
  ui.line(`Ledger after:  ${format0G(s.after.ledgerTotal)}`);
}
