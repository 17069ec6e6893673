// Hardhat start-up with the in-process chain: what every task that sends a transaction pays before
// its first line (plugin loading, config, the EDR provider and its contract decoder over the
// project's build info). Run by startup.ts as `npx hardhat run --no-compile bench/e2e/_connect.ts`.
import { network } from "hardhat";

const connection = await network.connect();
await connection.provider.request({ method: "eth_blockNumber" });
