import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { format0G } from "../chain/amount.js";
import { Ui } from "../ui.js";

import { ledgerOr, providerOr } from "../cli/market-defaults.js";
import { withMarketNetwork } from "../cli/market-network.js";

/** flai:market-setup's arguments as src/task-definitions.ts declares them (an option left out is undefined). */
export interface MarketSetupTaskArguments {
  ledger?: string;
  provider?: string;
  json: boolean;
}

export default async function marketSetup(args: MarketSetupTaskArguments, hre: HardhatRuntimeEnvironment) {
  const ledger = ledgerOr(args.ledger, hre.config.flai.market); // a bad typed value is reported before any network work
  const ui = new Ui({ json: args.json });
  const result = await withMarketNetwork(hre, ui, async (opts) => {
    const provider = await providerOr(args.provider, hre.config.flai.market, hre.flai.market, opts);
    return hre.flai.market.setup({ ...opts, provider, ledger });
  });
  if (result.deposited > 0n) {
    const minimum = result.openedWithMinimum ? " (the minimum to open a ledger; pass --ledger for more)" : "";
    ui.ok(`Ledger ${result.ledgerBefore === undefined ? "opened" : "funded"} with ${format0G(result.deposited)}${minimum}`);
  }
  ui.ok(result.acknowledged.already ? `Provider ${result.provider} already acknowledged.` : `Provider acknowledged.`);
  ui.info("ledger", format0G(result.ledger.total));
  ui.result(result);
}
