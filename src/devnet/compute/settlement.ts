import { getAddress, keccak256, toUtf8Bytes, type Contract, type Wallet } from "ethers";

import { readAccount } from "./serving-contract.js";
import { signSettlement } from "./signing.js";

/** Per-entry outcome of settleFeesWithTEE. */
export const SETTLEMENT_STATUS = [
  "success",
  "partial",
  "provider mismatch",
  "no TEE signer",
  "invalid nonce",
  "invalid signature",
] as const;
export type SettlementStatus = (typeof SETTLEMENT_STATUS)[number];

export interface SettlementRecord {
  user: string;
  totalFee: bigint;
  nonce: bigint;
  requestsHash: string;
  /** The chat keys (ZG-Res-Key) the fee is for. */
  chats: string[];
  status: SettlementStatus;
  /** Undefined when the entry was not sent (a dry run showed it would fail). */
  txHash?: string;
}

/** The contract accepts at most 50 settlements per call. */
const MAX_BATCH = 50;

/**
 * Answered-but-unpaid fees per user, and their settlement: the provider (not the SDK) collects
 * fees with settleFeesWithTEE, each entry EIP-712-signed by the TEE key with a nonce above the
 * account's. Settlements run one at a time; fees earned meanwhile wait for the next one.
 */
export class Settler {
  private readonly unpaid = new Map<string, { fee: bigint; chats: string[] }>();
  private queue: Promise<unknown> = Promise.resolve();
  readonly records: SettlementRecord[] = [];

  constructor(
    /** InferenceServing connected to the provider's signer. */
    private readonly inference: Contract,
    private readonly tee: Wallet,
    private readonly provider: string,
    private readonly chainId: bigint,
  ) {}

  add(user: string, fee: bigint, chatKey: string): void {
    const key = getAddress(user);
    const entry = this.unpaid.get(key) ?? { fee: 0n, chats: [] };
    entry.fee += fee;
    entry.chats.push(chatKey);
    this.unpaid.set(key, entry);
  }

  unsettled(user: string): bigint {
    return this.unpaid.get(getAddress(user))?.fee ?? 0n;
  }

  /** Settles every user's unpaid fees on-chain; resolves with what this call settled (or tried to). */
  settle(): Promise<SettlementRecord[]> {
    const run = this.queue.then(() => this.settleNow());
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async settleNow(): Promise<SettlementRecord[]> {
    const claims = [...this.unpaid].filter(([, e]) => e.fee > 0n).slice(0, MAX_BATCH);
    if (claims.length === 0) return [];
    const inferenceAddress = await this.inference.getAddress();
    const entries = [];
    const records: SettlementRecord[] = [];
    for (const [user, { fee, chats }] of claims) {
      const account = await readAccount(this.inference, user, this.provider);
      const nonce = (account?.nonce ?? 0n) + 1n;
      const requestsHash = keccak256(toUtf8Bytes(chats.join("\n")));
      const claim = { requestsHash, nonce, provider: this.provider, user, totalFee: fee };
      const signature = await signSettlement(this.tee, this.chainId, inferenceAddress, claim);
      entries.push({ user, provider: this.provider, totalFee: fee, requestsHash, nonce, signature });
      records.push({ user, totalFee: fee, nonce, requestsHash, chats: [...chats], status: "success" });
    }
    // Dry run first: an entry that would fail costs no gas and keeps its fees for a later try.
    const statuses = (await this.inference.settleFeesWithTEE!.staticCall(entries)) as bigint[];
    const payable = entries.filter((_, i) => statuses[i]! <= 1n);
    let txHash: string | undefined;
    if (payable.length > 0) {
      const tx = await this.inference.settleFeesWithTEE!(payable);
      txHash = (await tx.wait()).hash as string;
    }
    records.forEach((record, i) => {
      record.status = SETTLEMENT_STATUS[Number(statuses[i])] ?? "invalid signature";
      if (statuses[i]! > 1n) return;
      record.txHash = txHash;
      // Paid (or, for "partial", all the account could pay): drop exactly what was claimed.
      const entry = this.unpaid.get(record.user)!;
      entry.fee -= record.totalFee;
      entry.chats.splice(0, record.chats.length);
      if (entry.fee === 0n) this.unpaid.delete(record.user);
    });
    this.records.push(...records);
    return records;
  }
}
