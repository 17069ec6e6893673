import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { Ui } from "../ui.js";

import { ledgerOr, promptOr, providerOr } from "../cli/market-defaults.js";
import { withMarketNetwork } from "../cli/market-network.js";
import { printPing } from "../cli/print-market.js";

/** flai:market-ping's arguments as src/task-definitions.ts declares them (an option left out is undefined). */
export interface MarketPingTaskArguments {
  provider?: string;
  prompt?: string;
  json: boolean;
}

export default async function marketPing(args: MarketPingTaskArguments, hre: HardhatRuntimeEnvironment) {
  const prompt = promptOr(args.prompt, hre.config.flai.market); // a bad typed value is reported before any network work
  const ui = new Ui({ json: args.json });
  const result = await withMarketNetwork(hre, ui, async (opts) => {
    const provider = await providerOr(args.provider, hre.config.flai.market, hre.flai.market, opts);
    if ((await hre.flai.market.ledger(opts)) === undefined && opts.contracts !== undefined) {
      // Only the throwaway in-process chain is funded implicitly; elsewhere setup is the user's call.
      await hre.flai.market.setup({ ...opts, provider, ledger: ledgerOr(undefined, hre.config.flai.market) });
    }
    return hre.flai.market.ping({ ...opts, provider, prompt });
  });
  printPing(ui, result);
  ui.result(result);
}
