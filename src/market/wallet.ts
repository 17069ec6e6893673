import { HDNodeWallet, Mnemonic, Network, Wallet } from "ethers";

import { rpcUrlOf, type FlaiConnection } from "../chain/connection.js";
import { flaiError } from "../errors.js";
import { FeePolicyProvider } from "../chain/fee-data.js";

type Sensitive = string | { get(): Promise<string> };
const reveal = async (v: Sensitive) => (typeof v === "string" ? v : v.get());

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
  return new Wallet(await privateKeyOf(connection, index), provider);
}

async function privateKeyOf(connection: FlaiConnection, index: number): Promise<string> {
  const accounts = connection.networkConfig.accounts as unknown;
  if (Array.isArray(accounts)) {
    const entry = accounts[index] as Sensitive | { privateKey: Sensitive } | undefined;
    if (entry === undefined) {
      throw flaiError(`Network "${connection.networkName}" has no account #${index} configured.`);
    }
    return reveal(typeof entry === "object" && "privateKey" in entry ? entry.privateKey : entry);
  }
  if (typeof accounts === "object" && accounts !== null && "mnemonic" in accounts) {
    const hd = accounts as { mnemonic: Sensitive; passphrase?: Sensitive; path?: string; initialIndex?: number };
    const phrase = await reveal(hd.mnemonic);
    const passphrase = hd.passphrase === undefined ? "" : await reveal(hd.passphrase);
    const base = hd.path ?? "m/44'/60'/0'/0";
    return HDNodeWallet.fromMnemonic(Mnemonic.fromPhrase(phrase, passphrase), `${base}/${(hd.initialIndex ?? 0) + index}`).privateKey;
  }
  const devKey = await localNodeKey(connection, index);
  if (devKey !== undefined) {
    return devKey;
  }
  throw flaiError(
    `Network "${connection.networkName}" uses remote accounts; the 0G compute SDK needs a key it can sign with. ` +
      `Configure accounts: [configVariable("FLAI_PRIVATE_KEY")] for it.`,
  );
}

/** Hardhat's public development mnemonic, which `npx hardhat node` funds by default. */
const HARDHAT_DEV_MNEMONIC = "test test test test test test test test test test test junk";

/**
 * A local `hardhat node` signs for its well-known development accounts. When the node's account
 * at `index` is exactly the dev mnemonic's, its key is public knowledge and safe to use here.
 */
async function localNodeKey(connection: FlaiConnection, index: number): Promise<string | undefined> {
  const accounts = (await connection.provider.request({ method: "eth_accounts" })) as string[];
  const wallet = HDNodeWallet.fromMnemonic(Mnemonic.fromPhrase(HARDHAT_DEV_MNEMONIC), `m/44'/60'/0'/0/${index}`);
  return accounts[index]?.toLowerCase() === wallet.address.toLowerCase() ? wallet.privateKey : undefined;
}
