import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { format0G } from "../src/amount.js";
import { flaiError } from "../src/errors.js";
import type { PingResult } from "../src/market/types.js";
import { Ui } from "../src/ui.js";

import { ledgerOr, promptOr, providerOr } from "./market-defaults.js";
import { withMarketNetwork } from "./market-network.js";

export default async function marketPing(args: { provider: string; prompt: string; json: boolean }, hre: HardhatRuntimeEnvironment) {
  const ui = new Ui({ json: args.json });
  const result = await withMarketNetwork(hre, ui, async (opts) => {
    const provider = await providerOr(args.provider, hre.flai.market, opts);
    if ((await hre.flai.market.ledger(opts)) === undefined && opts.contracts !== undefined) {
      // Only the throwaway in-process chain is funded implicitly; elsewhere setup is the user's call.
      await hre.flai.market.setup({ ...opts, provider, ledger: ledgerOr("") });
    }
    return hre.flai.market.ping({ ...opts, provider, prompt: promptOr(args.prompt) });
  });
  printPing(ui, result);
  ui.result(result);
}

/** The seed's request/settlement printout. */
export function printPing(ui: Ui, r: PingResult): void {
  ui.line(`Endpoint: ${r.endpoint}`);
  ui.line(`Model: ${r.model}`);
  ui.line("Auth headers generated.");
  ui.line();
  ui.line(`AI Response: ${r.answer}`);
  ui.line(`Chat ID: ${r.chatId}`);
  ui.line(`processResponse: ${r.verified ? "Valid / payment settled" : "INVALID signature — the answer did not verify"}`);
  ui.line();
  ui.line(`Ledger before: ${format0G(r.ledgerBefore.total)}`);
  ui.line(`Ledger after:  ${format0G(r.ledgerAfter.total)}`);
  ui.line(`Fee settled:   ${format0G(r.fee)} (${r.usage.prompt_tokens} input + ${r.usage.completion_tokens} output tokens)`);
  if (!r.verified) {
    throw flaiError(`Invalid signature: the provider's answer (chat ${r.chatId}) is not signed by its acknowledged TEE signer.`);
  }
}
