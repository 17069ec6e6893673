import type { ConnectionOption } from "../jobs/types.js";

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
  chatId: string;
  usage: { prompt_tokens: number; completion_tokens: number };
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
  acknowledged: { already: boolean };
}

export interface PingResult {
  provider: string;
  endpoint: string;
  model: string;
  answer: string;
  chatId: string;
  usage: { prompt_tokens: number; completion_tokens: number };
  verified: boolean;
  ledgerBefore: LedgerView;
  ledgerAfter: LedgerView;
  /** ledgerBefore.total − ledgerAfter.total: what settlement took. */
  fee: bigint;
}
