import type { Wallet } from "ethers";
import { sha256Digest } from "../../util/sha256.js";

/** What `GET /v1/proxy/signature/{chatKey}` returns and the SDK's processResponse verifies. */
export interface ResponseSignature {
  text: string;
  signature: string;
  signing_address: string;
  signing_algo: "ecdsa";
}

/**
 * The TEE's statement about one exchange: sha256(request body) ":" sha256(response body), signed
 * as a personal message (the SDK checks it with hashMessage + recoverAddress against the service's
 * TEE signer).
 */
export async function signExchange(tee: Wallet, requestBody: Uint8Array, responseBody: string): Promise<ResponseSignature> {
  const text = `${sha256Digest(requestBody)}:${sha256Digest(responseBody)}`;
  return { text, signature: await tee.signMessage(text), signing_address: tee.address, signing_algo: "ecdsa" };
}

export interface SettlementClaim {
  requestsHash: string;
  nonce: bigint;
  provider: string;
  user: string;
  totalFee: bigint;
}

const SETTLEMENT_TYPES = {
  TEESettlement: [
    { name: "requestsHash", type: "bytes32" },
    { name: "nonce", type: "uint256" },
    { name: "provider", type: "address" },
    { name: "user", type: "address" },
    { name: "totalFee", type: "uint256" },
  ],
};

/** EIP-712 signature InferenceServing.settleFeesWithTEE checks against the service's TEE signer. */
export function signSettlement(tee: Wallet, chainId: bigint, inference: string, claim: SettlementClaim): Promise<string> {
  const domain = { name: "0G Inference Serving", version: "1", chainId, verifyingContract: inference };
  return tee.signTypedData(domain, SETTLEMENT_TYPES, claim);
}
