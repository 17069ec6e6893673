import type { ConnectionOption } from "../chain/connection.js";

import type { Exchange } from "./exchange.js";
import type { SettlementMark, SettlementObservation } from "./settlement.js";

/** Where the 0G serving contracts are; omitted = the SDK's own addresses for the chain. */
export interface ComputeContracts {
  ledger: string;
  inference: string;
  fineTuning: string;
}

export interface MarketOptions extends ConnectionOption {
  contracts?: ComputeContracts;
  /** Which of the network's accounts acts as the user (default 0). */
  account?: number;
}

export interface ChatAnswer {
  answer: string;
  /** The key the provider's signature is fetched under: its ZG-Res-Key header (else the body's id). */
  chatId: string;
  /** The completion's own `id` field. */
  completionId: string;
  usage: { prompt_tokens: number; completion_tokens: number };
  /** The exact request and response bytes, for checking what the provider signed. */
  exchange: Exchange;
}

export interface ProviderInfo {
  provider: string;
  model: string;
  serviceType: string;
  verifiability: string;
  /** OpenAI-compatible base the SDK's getServiceMetadata returns (url + "/v1/proxy"). */
  endpoint: string;
  /** Per token, in neuron (wei of 0G); format with format0G. */
  inputPrice: bigint;
  outputPrice: bigint;
  teeSigner: string;
  teeSignerAcknowledged: boolean;
}

export interface LedgerView {
  /** Whole ledger in neuron, including what is held for providers. */
  total: bigint;
  available: bigint;
}

export interface SetupResult {
  provider: string;
  ledgerBefore: LedgerView | undefined;
  ledger: LedgerView;
  deposited: bigint;
  /** The ledger was opened with the minimum because no amount was given. */
  openedWithMinimum: boolean;
  acknowledged: { already: boolean };
}

export interface PingResult {
  provider: string;
  endpoint: string;
  model: string;
  answer: string;
  /** ZG-Res-Key: the key the provider's signature was fetched under. */
  chatId: string;
  /** The completion's own `id`. */
  completionId: string;
  usage: { prompt_tokens: number; completion_tokens: number };
  /** The SDK's processResponse and the plugin's exchange check both passed (ping throws otherwise). */
  verified: boolean;
  /** What the TEE signed for this call — sha256(request):sha256(response) of the bytes exchanged — and who. */
  signature: { text: string; signer: string };
  /** This request's fee: usage × the service's on-chain prices (what processResponse computes). Owed, not necessarily settled. */
  fee: bigint;
  /** All this account owes the provider and it has not settled yet, as the provider reports it; undefined when it does not say. */
  unsettled: bigint | undefined;
  /** What the chain shows the provider settled between the start of the call and its end. */
  settlement: SettlementObservation;
  ledgerBefore: LedgerView;
  ledgerAfter: LedgerView;
}

export type { SettlementMark, SettlementObservation };
