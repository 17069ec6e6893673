import { HDNodeWallet, Mnemonic } from "ethers/wallet";

import { flaiError } from "../errors.js";
import type { FlaiConnection } from "./connection.js";

type Sensitive = string | { get(): Promise<string> };
const reveal = async (v: Sensitive) => (typeof v === "string" ? v : v.get());

/**
 * The private key (0x + 64 hex) of the network's account `index`, from where Hardhat's config has it:
 * a key list (configVariable / literal), a mnemonic, or a local `hardhat node`'s public dev accounts.
 * Needed where Hardhat's signer is not enough: the 0G compute SDK wants an ethers Wallet, and a
 * party's reader key (src/privacy/reader-key.ts) is derived from the key. Only held in memory.
 */
export async function accountPrivateKey(connection: FlaiConnection, index = 0): Promise<string> {
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
    `Network "${connection.networkName}" uses remote accounts, whose keys flai cannot read; account #${index}'s key is needed ` +
      `(the 0G compute SDK signs with it, and reader keys for private artifacts derive from it). ` +
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
