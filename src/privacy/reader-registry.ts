import { computeAddress } from "ethers/transaction";
import { Interface } from "ethers/abi";
import { Contract } from "ethers/contract";
import type { ContractRunner } from "ethers/providers";
import { getAddress } from "ethers/address";

import { accountPrivateKey } from "../chain/account-key.js";
import { loadFlaiArtifact } from "../chain/artifact.js";
import type { FlaiConnection } from "../chain/connection.js";
import { sendTx } from "../chain/tx.js";
import { flaiError } from "../errors.js";
import type { ReaderIdentity } from "./keyring.js";
import { readerKeyFromAccountKey } from "./reader-key.js";

// Reader keys live in FLAIComputeJobs (already the enclave registry FLAIFederated reads): one place
// where anyone looks up the key to seal or wrap to for an account. The registry only says which key an
// account chose; it cannot vouch that the account holds its secret (nobody but the account can use a
// key it did not derive, so a wrong key hurts only the account that set it).

const ZERO = "0x" + "00".repeat(32);

/** Account `index`'s address and reader key pair, derived from its configured private key. */
export async function readerKeyOf(connection: FlaiConnection, index = 0): Promise<ReaderIdentity> {
  const key = await accountPrivateKey(connection, index);
  const { secret, publicKey } = readerKeyFromAccountKey(key);
  return { address: computeAddress(key), secret, publicKey };
}

/**
 * The reader key `address` registered in FLAIComputeJobs at `jobsContract`, or undefined if none
 * (lowercase 0x-hex, as readerKeyFromAccountKey writes it, so the two compare as strings).
 */
export async function registeredReaderKey(connection: FlaiConnection, jobsContract: string, address: string): Promise<string | undefined> {
  const contract = registry(jobsContract, connection.ethers.provider);
  const key = ((await contract.getFunction("readerKey")(getAddress(address))) as string).toLowerCase();
  return key === ZERO ? undefined : key;
}

/**
 * Makes sure account `index`'s reader key is the one registered, sending setReaderKey only when the
 * chain has none or another (idempotent: parties call it before every private step at the cost of one
 * read). Returns the account's identity.
 */
export async function ensureReaderKey(connection: FlaiConnection, index: number, jobsContract: string): Promise<ReaderIdentity> {
  const me = await readerKeyOf(connection, index);
  if ((await registeredReaderKey(connection, jobsContract, me.address)) === me.publicKey) return me;
  const signer = await signerFor(connection, index, me.address);
  await sendTx(registry(jobsContract, signer), "FLAIComputeJobs", "setReaderKey", [me.publicKey], {
    explain: (revert) => (revert.name === "ZeroReaderKey" ? "the reader key is zero" : undefined),
  });
  return me;
}

async function signerFor(connection: FlaiConnection, index: number, address: string): Promise<ContractRunner> {
  const signers = await connection.ethers.getSigners();
  const signer = signers[index];
  // The key the reader key came from must be the account that registers it, or it would be set for
  // another address (e.g. a config whose key list and signer order disagree).
  if (signer === undefined || getAddress(signer.address) !== address) {
    throw flaiError(
      `Network "${connection.networkName}" account #${index} signs as ${signer?.address ?? "nobody"}, but its configured key ` +
        `belongs to ${address}; flai registers reader keys from the account's own key. Check the network's accounts config.`,
    );
  }
  return signer;
}

let registryInterface: Interface | undefined;

function registry(address: string, runner: ContractRunner): Contract {
  registryInterface ??= new Interface(loadFlaiArtifact("FLAIComputeJobs").abi);
  return new Contract(address, registryInterface, runner);
}
