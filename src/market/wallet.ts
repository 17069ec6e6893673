import { Network, Wallet } from "ethers";

import { rpcUrlOf, type FlaiConnection } from "../chain/connection.js";
import { accountPrivateKey } from "../chain/account-key.js";
import { FeePolicyProvider } from "../chain/fee-data.js";

/**
 * The 0G compute SDK takes an ethers Wallet (or JsonRpcSigner), not Hardhat's signer: this builds
 * one for the network's account `index` from its configured key, over a fast-polling provider
 * (the SDK waits on receipts; ethers' default 4 s polling would dominate every call). The key is
 * only held in memory.
 */
export async function walletFor(connection: FlaiConnection, index = 0): Promise<Wallet> {
  // Every fee the SDK and the direct ledger calls use comes from this provider's getFeeData: the
  // fee policy applies there, once for all of them (the SDK sends some transactions on its own).
  // The connection stays on one chain: told its network once, ethers does not re-ask eth_chainId
  // before each call (half of the SDK's requests in the demo were eth_chainId).
  const chainId = BigInt((await connection.provider.request({ method: "eth_chainId" })) as string);
  const network = Network.from(chainId);
  const provider = new FeePolicyProvider(await rpcUrlOf(connection), network, {
    pollingInterval: 100,
    cacheTimeout: -1,
    staticNetwork: network,
  });
  return new Wallet(await accountPrivateKey(connection, index), provider);
}
