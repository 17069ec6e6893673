import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/types";

import type { FlaiConnection } from "../chain/connection.js";
import { flaiError } from "../errors.js";

/** `--account <index>`: which of the network's accounts acts (a client, a claimer). */
export async function accountAt(connection: FlaiConnection, index: number): Promise<HardhatEthersSigner> {
  const signers = await connection.ethers.getSigners();
  if (!Number.isInteger(index) || index < 0 || index >= signers.length) {
    throw flaiError(`--account ${index} does not exist: network "${connection.networkName}" has accounts 0..${signers.length - 1}.`);
  }
  return signers[index]!;
}
