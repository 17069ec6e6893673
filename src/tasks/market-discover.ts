import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { format0G } from "../chain/amount.js";
import { Ui } from "../ui.js";

import { withMarketNetwork } from "../cli/market-network.js";

/** flai:market-discover's arguments as src/task-definitions.ts declares them (an option left out is undefined). */
export interface MarketDiscoverTaskArguments {
  json: boolean;
}

export default async function marketDiscover(args: MarketDiscoverTaskArguments, hre: HardhatRuntimeEnvironment) {
  const ui = new Ui({ json: args.json });
  const providers = await withMarketNetwork(hre, ui, (opts) => hre.flai.market.discover(opts));
  ui.line(`Found ${providers.length} services`);
  providers.forEach((p, i) =>
    ui.line(
      `  [${i + 1}] ${p.model || "Unknown"} | provider=${p.provider} | ${p.serviceType}/${p.verifiability} | ` +
        `input=${format0G(p.inputPrice)} | output=${format0G(p.outputPrice)} | endpoint=${p.endpoint}`,
    ),
  );
  ui.result(providers);
}
