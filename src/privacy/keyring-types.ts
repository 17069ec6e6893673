/**
 * Who can read a federated task's models. The task key K (32 random bytes, made by the creator) seals
 * every model of the task; a keyring wraps K once per reader with a key only the creator and that
 * reader can derive (pairKey "task-key"). The creator publishes a keyring's storage root on-chain
 * (FLAIFederated.publishKeyring, creator only), which is what makes a keyring the creator's: its bytes
 * carry no signature. Inside the enclave, where the chain is not read, a keyring is host-claimed: a
 * forged one can only wrap a K' that fails to open the real (on-chain hashed) previous model.
 */
export const KEYRING_FORMAT = "flai-keyring/v1";

export interface KeyringEntry {
  /** The reader's account (checksummed). */
  reader: string;
  /** The reader's registered X25519 reader key (0x + 64 lowercase hex) K was wrapped to. */
  readerKey: string;
  /** AES-256-GCM nonce, 0x + 24 hex. */
  nonce: string;
  /** AES-256-GCM(K_pair, K) with its 16-byte tag appended: 0x + 96 hex. */
  wrappedKey: string;
}

export interface Keyring {
  format: typeof KEYRING_FORMAT;
  chainId: bigint;
  /** The FLAIFederated contract (checksummed). */
  contract: string;
  taskId: bigint;
  /** The task's creator (checksummed), who made K and wrapped it. */
  creator: string;
  /** The creator's reader key: readers derive K_pair from their secret and this. */
  creatorKey: string;
  /** Sorted by reader; one entry per reader. */
  entries: KeyringEntry[];
}

/** Which task a keyring is for. */
export interface KeyringContext {
  chainId: bigint;
  contract: string;
  taskId: bigint;
}

/** An account with its reader key pair (src/privacy/reader-registry.ts readerKeyOf gives one). */
export interface ReaderIdentity {
  address: string;
  secret: Uint8Array;
  publicKey: string;
}
