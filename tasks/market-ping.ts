import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { format0G } from "../src/chain/amount.js";
import type { PingResult, SettlementObservation } from "../src/market/types.js";
import { Ui } from "../src/ui.js";

import { ledgerOr, promptOr, providerOr } from "./market-defaults.js";
import { withMarketNetwork } from "./market-network.js";

export default async function marketPing(args: { provider?: string; prompt?: string; json: boolean }, hre: HardhatRuntimeEnvironment) {
  const prompt = promptOr(args.prompt); // a bad typed value is reported before any network work
  const ui = new Ui({ json: args.json });
  const result = await withMarketNetwork(hre, ui, async (opts) => {
    const provider = await providerOr(args.provider, hre.flai.market, opts);
    if ((await hre.flai.market.ledger(opts)) === undefined && opts.contracts !== undefined) {
      // Only the throwaway in-process chain is funded implicitly; elsewhere setup is the user's call.
      await hre.flai.market.setup({ ...opts, provider, ledger: ledgerOr(undefined) });
    }
    return hre.flai.market.ping({ ...opts, provider, prompt });
  });
  printPing(ui, result);
  ui.result(result);
}

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
  ui.line(`Unsettled:     ${r.unsettled === undefined ? "not reported by the provider" : `${format0G(r.unsettled)} in all, as the provider reports`}`);
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
