import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";

import { loadFlaiArtifact } from "../../src/chain/artifact.js";

/**
 * The on-chain half of the offline 0G storage devnet: a Flow the storage SDK submits files to and
 * the Market it reads the price from. 1 gwei per 256-byte sector keeps fees visible in balances yet
 * negligible next to the test accounts' ether (a 64 MiB file costs ~0.0003 ETH).
 */
export default buildModule("ZgStorageDevnet", (m) => {
  const price = m.getParameter("pricePerSector", 1_000_000_000n);
  const market = m.contract("ZgMarket", loadFlaiArtifact("ZgMarket"), [price]);
  const flow = m.contract("ZgFlow", loadFlaiArtifact("ZgFlow"), [market]);
  return { flow, market };
});
