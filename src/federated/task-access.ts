import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/types";

import { Contract, getAddress } from "ethers";

import { loadFlaiArtifact } from "../chain/artifact.js";
import type { FlaiConnection } from "../chain/connection.js";
import { eventsNamed } from "../chain/events.js";
import { keyringPublished } from "../chain/federated-reads.js";
import { sendTx } from "../chain/tx.js";
import { flaiError, flaiErrorCode } from "../errors.js";
import { buildKeyring, serializeKeyring, type ReaderIdentity } from "../privacy/keyring.js";
import { isSealedArtifact } from "../privacy/artifact.js";
import { readerKeyFromAccountKey } from "../privacy/reader-key.js";
import { readerKeyOf, registeredReaderKey } from "../privacy/reader-registry.js";
import type { StorageBackend } from "../storage/types.js";
import { sha256Hex } from "../util/sha256.js";
import { memoInterface } from "../util/memo-interface.js";

import { explainFederatedRevert } from "./explain.js";
import { derivedClientKeyOf } from "./simulation-accounts.js";
import { openTaskModel, taskKeysFor, type TaskContext } from "./task-models.js";

/**
 * Who reads a private task's models, on the host side (issue 17): reader keys (derived from the
 * account's own key, registered on FLAIComputeJobs), keyrings (the creator's, rooted on-chain by
 * KeyringPublished), and opening a stored model with the task key.
 */

/** Error codes a caller acts on. */
export const NOT_ADMITTED = "not-admitted";
export const READER_KEY_MISSING = "reader-key-missing";

/**
 * The reader key pair of a signer: a configured account (by its index: readerKeyOf), or a client
 * account a simulation derived (simulation-accounts.ts, whose key is public: in-process chains only).
 */
export async function readerOfSigner(connection: FlaiConnection, signer: HardhatEthersSigner): Promise<ReaderIdentity> {
  const address = getAddress(await signer.getAddress());
  const derived = derivedClientKeyOf(address);
  if (derived !== undefined) {
    const pair = readerKeyFromAccountKey(derived);
    return { address, secret: pair.secret, publicKey: pair.publicKey };
  }
  const index = (await connection.ethers.getSigners()).findIndex((s) => getAddress(s.address) === address);
  if (index === -1) {
    throw flaiError(`${address} is not an account of network "${connection.networkName}", so its reader key cannot be derived here.`);
  }
  return readerKeyOf(connection, index);
}

let registryInterface: ReturnType<typeof memoInterface> | undefined;

/** FLAIComputeJobs (the reader-key registry) bound to `signer`. */
function readerRegistry(address: string, signer: HardhatEthersSigner): Contract {
  registryInterface ??= memoInterface(loadFlaiArtifact("FLAIComputeJobs").abi);
  return new Contract(address, registryInterface, signer);
}

/**
 * Registers `me`'s reader key from `signer` unless the chain already holds it (idempotent; true when
 * sent). By signer, not account index (privacy/reader-registry.ts ensureReaderKey): a simulation's
 * derived clients are no configured account.
 */
export async function ensureSignerReaderKey(
  connection: FlaiConnection,
  jobsContract: string,
  signer: HardhatEthersSigner,
  me: ReaderIdentity,
): Promise<boolean> {
  if ((await registeredReaderKey(connection, jobsContract, me.address)) === me.publicKey.toLowerCase()) return false;
  await sendTx(readerRegistry(jobsContract, signer), "FLAIComputeJobs", "setReaderKey", [me.publicKey]);
  return true;
}

/**
 * Each address with its registered reader key; an address without one is refused before anything is
 * paid, naming every such address and how it registers (any flai:fl-client run does it, or flai:reader-key).
 */
export async function readersOf(
  connection: FlaiConnection,
  jobsContract: string,
  addresses: readonly string[],
): Promise<Array<{ address: string; readerKey: string }>> {
  const networkName = connection.networkName;
  const keys = await Promise.all(addresses.map((a) => registeredReaderKey(connection, jobsContract, a)));
  const missing = addresses.filter((_, i) => keys[i] === undefined);
  if (missing.length > 0) {
    throw flaiError(
      `${missing.join(", ")} ${missing.length === 1 ? "has" : "have"} no reader key registered on FLAIComputeJobs ${jobsContract}, ` +
        `so the task key cannot be wrapped for ${missing.length === 1 ? "it" : "them"}. Each client registers its key once (any task) with ` +
        `\`npx hardhat flai:reader-key --register --network ${networkName}\` (flai:fl-client does it too), then admit it again.`,
      undefined,
      { code: READER_KEY_MISSING },
    );
  }
  return addresses.map((address, i) => ({ address, readerKey: keys[i]! }));
}

/** Distinct by address (the first kept): a keyring has one entry per reader. */
export function distinctReaders<T extends { address: string }>(readers: readonly T[]): T[] {
  const seen = new Set<string>();
  return readers.filter((r) => {
    const key = getAddress(r.address);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/**
 * Every keyring the task's creator published (KeyringPublished, in order), as stored: root-verified
 * reads unless `verify: false` (the aggregation host: the enclave authenticates the key it unwraps by
 * opening the on-chain-hashed model, so re-rooting here too would only repeat work).
 */
export async function readKeyrings(
  federated: Contract,
  storage: StorageBackend,
  taskId: bigint,
  opts: { verify?: boolean } = {},
): Promise<Uint8Array[]> {
  const logs = eventsNamed(federated, await federated.queryFilter(federated.getEvent("KeyringPublished")(taskId)), "KeyringPublished");
  return Promise.all(logs.map((log) => storage.read(keyringPublished(log).keyringRoot, opts)));
}

/** Builds, uploads and publishes (creator only, on-chain) a keyring wrapping `taskKey` to `readers`. */
export async function publishKeyring(
  federated: Contract,
  storage: StorageBackend,
  args: { ctx: TaskContext; creator: ReaderIdentity; taskKey: Uint8Array; readers: Array<{ address: string; readerKey: string }> },
  signer: HardhatEthersSigner,
): Promise<{ keyringRoot: string; txHash: string }> {
  const keyring = buildKeyring({ ...args.ctx, creator: args.creator, taskKey: args.taskKey, readers: distinctReaders(args.readers) });
  const stored = await storage.upload(serializeKeyring(keyring), { payer: signer });
  const receipt = await sendTx(federated.connect(signer) as Contract, "FLAIFederated", "publishKeyring", [args.ctx.taskId, stored.root], {
    explain: explainFederatedRevert,
  });
  return { keyringRoot: stored.root, txHash: receipt.hash };
}

/** The task key the keyrings give `me`, or a not-admitted error naming how the creator admits it. */
export function taskKeyOrRefuse(keyrings: readonly Uint8Array[], me: ReaderIdentity, ctx: TaskContext): Uint8Array[] {
  const { keys, codes } = taskKeysFor(keyrings, me, ctx);
  if (keys.length > 0) return keys;
  const authentic = codes.every((c) => c === "keyring-no-entry");
  throw flaiError(
    `${me.address} cannot read task ${ctx.taskId}'s models: they are encrypted, and ` +
      (keyrings.length === 0
        ? "the task has no keyring yet"
        : authentic
          ? `none of its ${keyrings.length} keyring(s) admits its reader key ${me.publicKey}`
          : `no keyring gives it the task key (${[...new Set(codes)].join(", ")})`) +
      `. The task's creator admits it: npx hardhat flai:fl-admit --task ${ctx.taskId} --clients ${me.address}`,
    undefined,
    { code: NOT_ADMITTED },
  );
}

/**
 * A model as stored, opened: plaintext (a public task's) must hash to the on-chain hash itself; sealed
 * bytes are opened with the first of `keys` that opens them, then checked against it (task-models.ts).
 */
export function openStoredModel(
  stored: Uint8Array,
  keys: () => Uint8Array[],
  ctx: TaskContext,
  round: number,
  hash: string,
  where: string,
): { plaintext: Uint8Array; sealed: boolean } {
  if (!isSealedArtifact(stored)) {
    if (sha256Hex(stored) !== hash.toLowerCase()) {
      throw flaiError(`${where} does not hash to the on-chain ${hash}.`, undefined, { code: "model-hash-mismatch" });
    }
    return { plaintext: stored, sealed: false };
  }
  let last: unknown;
  for (const key of keys()) {
    try {
      return { plaintext: openTaskModel(stored, key, ctx, round, hash), sealed: true };
    } catch (error) {
      if (flaiErrorCode(error) !== "artifact-not-authentic") throw error;
      last = error;
    }
  }
  throw flaiError(`${where} does not open with the task key the keyrings give: ${(last as Error).message}`, last, {
    code: "artifact-not-authentic",
  });
}
