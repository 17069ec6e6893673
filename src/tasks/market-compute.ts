import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { format0G } from "../chain/amount.js";
import { Ui } from "../ui.js";

import { ledgerOr, promptOr, providerOr } from "../cli/market-defaults.js";
import { withMarketNetwork } from "../cli/market-network.js";
import { printPing } from "../cli/print-market.js";

/** flai:market-compute's arguments as src/task-definitions.ts declares them (an option left out is undefined). */
export interface MarketComputeTaskArguments {
  provider?: string;
  prompt?: string;
  ledger?: string;
  json: boolean;
}

/** The seed's compute-flow.mjs: wallet → ledger → acknowledge → headers → request → settlement. */
export default async function marketCompute(args: MarketComputeTaskArguments, hre: HardhatRuntimeEnvironment) {
  // Bad typed values are reported before any network work.
  const [prompt, ledger] = [promptOr(args.prompt, hre.config.flai.market), ledgerOr(args.ledger, hre.config.flai.market)];
  const ui = new Ui({ json: args.json });
  const out = await withMarketNetwork(hre, ui, async (opts) => {
    const providers = await hre.flai.market.discover(opts);
    ui.line(`Found ${providers.length} services`);
    const provider = await providerOr(args.provider, hre.config.flai.market, hre.flai.market, opts);
    const setup = await hre.flai.market.setup({ ...opts, provider, ledger });
    ui.line(setup.acknowledged.already ? "Provider already acknowledged." : "Provider acknowledged.");
    ui.line(`Ledger: ${format0G(setup.ledger.total)}`);
    const ping = await hre.flai.market.ping({ ...opts, provider, prompt });
    return { providers, setup, ping };
  });
  printPing(ui, out.ping);
  ui.result(out);
}
