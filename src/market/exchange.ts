import { getAddress, hashMessage, recoverAddress } from "ethers";

import { flaiError } from "../errors.js";
import { excerpt } from "../util/excerpt.js";
import { fetchWithin, isResponseTooLarge, sizeText } from "../util/http-body.js";
import { sha256Digest } from "../util/sha256.js";

/** The bytes of one chat call exactly as they went over the wire, and the key to its signature. */
export interface Exchange {
  requestBody: Uint8Array;
  responseBody: Uint8Array;
  /** ZG-Res-Key (falls back to the body's id for providers that send no such header). */
  chatKey: string;
}

/** What `GET {url}/v1/proxy/signature/{chatKey}` returns. */
export interface ResponseSignatureDoc {
  text: string;
  signature: string;
}

/** The service fields that decide who must have signed an answer. */
export interface SigningService {
  url: string;
  model: string;
  teeSignerAddress: string;
  teeSignerAcknowledged: boolean;
  additionalInfo: string;
}

/**
 * Outcome codes of the exchange check; the plugin decides on these, never on message text.
 * - ok: the acknowledged signer signed sha256(request):sha256(response) of these bytes
 * - signer-not-acknowledged: the contract owner has not acknowledged the service's TEE signer
 * - text-mismatch: the signed text is about other bodies than the ones exchanged
 * - wrong-signer: the text is right but someone else signed it
 * - bad-signature: the signature does not parse
 */
export type ExchangeVerdict = "ok" | "signer-not-acknowledged" | "text-mismatch" | "wrong-signer" | "bad-signature";

export interface ExchangeCheck {
  verdict: ExchangeVerdict;
  /** sha256Digest(requestBody):sha256Digest(responseBody) of what the client sent and received. */
  expectedText: string;
  signedText: string;
  expectedSigner: string;
  /** Who signed `signedText`, when the signature parses. */
  signer?: string;
}

/** The text a 0G TEE provider signs for one chat call. */
export function exchangeText(requestBody: Uint8Array, responseBody: Uint8Array): string {
  return `${sha256Digest(requestBody)}:${sha256Digest(responseBody)}`;
}

/**
 * The key whose signature counts, chosen as the SDK's processResponse does: the service's TEE
 * signer, or — for a decentralized provider whose model runs in a separate TEE — that TEE's
 * address from additionalInfo.
 */
export function expectedSigner(service: SigningService): string {
  let info: { ProviderType?: unknown; TargetSeparated?: unknown; TargetTeeAddress?: unknown } = {};
  try {
    info = JSON.parse(service.additionalInfo) as typeof info;
  } catch {
    // not JSON: the service's own TEE signer (processResponse refuses such services anyway)
  }
  const separated = info.TargetSeparated === true && info.ProviderType !== "centralized" && typeof info.TargetTeeAddress === "string";
  return getAddress(separated ? (info.TargetTeeAddress as string) : service.teeSignerAddress);
}

/** Checks the provider's statement against the bytes actually exchanged and the acknowledged signer. */
export function checkExchange(exchange: Exchange, doc: ResponseSignatureDoc, service: SigningService): ExchangeCheck {
  const expected = exchangeText(exchange.requestBody, exchange.responseBody);
  const base = { expectedText: expected, signedText: doc.text, expectedSigner: expectedSigner(service) };
  if (!service.teeSignerAcknowledged) return { ...base, verdict: "signer-not-acknowledged" };
  let signer: string;
  try {
    signer = recoverAddress(hashMessage(doc.text), doc.signature);
  } catch {
    return { ...base, verdict: "bad-signature" };
  }
  if (doc.text !== expected) return { ...base, signer, verdict: "text-mismatch" };
  if (signer !== base.expectedSigner) return { ...base, signer, verdict: "wrong-signer" };
  return { ...base, signer, verdict: "ok" };
}

/** Fetches the provider's signature for a chat key; a missing or malformed one is a plugin error. */
export async function fetchResponseSignature(service: SigningService, chatKey: string): Promise<ResponseSignatureDoc> {
  const url = `${service.url}/v1/proxy/signature/${encodeURIComponent(chatKey)}?model=${encodeURIComponent(service.model)}`;
  let response: Response;
  let body: Buffer;
  try {
    // A signature document is a few hundred bytes: a longer answer is cut off, never read whole.
    ({ response, body } = await fetchWithin(url, {}, { limit: MAX_SIGNATURE_BYTES, timeoutMs: SIGNATURE_TIMEOUT_MS }));
  } catch (error) {
    const reason = isResponseTooLarge(error) ? `an answer over ${sizeText(MAX_SIGNATURE_BYTES)}, cut off` : (error as Error).message;
    throw flaiError(`The provider's response signature could not be fetched from ${url} (${reason}); the answer is unverified.`, error);
  }
  const doc = parsedOrUndefined(body) as Partial<ResponseSignatureDoc> | undefined;
  if (!response.ok || typeof doc?.text !== "string" || typeof doc.signature !== "string") {
    throw flaiError(
      `The provider returned no usable signature for chat ${chatKey} (HTTP ${response.status} from ${url}); the answer is unverified. ` +
        `A 0G TEE provider must serve {text, signature} there for every answer it charges for.`,
    );
  }
  return { text: doc.text, signature: doc.signature };
}

const MAX_SIGNATURE_BYTES = 1024 * 1024;
const SIGNATURE_TIMEOUT_MS = 30_000;

function parsedOrUndefined(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString("utf8"));
  } catch {
    return undefined;
  }
}

/** A failed check as the error users see: what the provider signed, what it should have, what to do. */
export function exchangeError(check: ExchangeCheck, provider: string, chatKey: string): Error {
  const who = `provider ${provider} (chat ${chatKey})`;
  switch (check.verdict) {
    case "ok":
      throw new Error("exchangeError called for a verified exchange");
    case "signer-not-acknowledged":
      return flaiError(
        `The TEE signer of ${who} is not acknowledged by the contract owner: its answers cannot be verified. Use an acknowledged provider (flai:market-discover lists only those).`,
      );
    case "bad-signature":
      return flaiError(
        `Invalid signature from ${who}: the response signature does not parse, so the answer is unverified. Do not trust this answer.`,
      );
    case "wrong-signer":
      return flaiError(
        `Invalid signature from ${who}: the answer is signed by ${check.signer}, not by the acknowledged TEE signer ${check.expectedSigner}. Do not trust this answer.`,
      );
    case "text-mismatch":
      // One line per text: two hash pairs on one line made a 600-character line.
      return flaiError(
        `Signed text mismatch from ${who}: the signature vouches for other bodies than this answer; do not trust it.\n` +
          `  the TEE signed:          ${signedTextShown(check.signedText)}\n` +
          `  this exchange hashes to: "${check.expectedText}" (sha256(request):sha256(response))`,
      );
  }
}

/** A hash pair (what a provider signs) is shown whole; anything else the provider sent, as an excerpt. */
function signedTextShown(text: string): string {
  return /^[0-9a-f]{64}:[0-9a-f]{64}$/i.test(text) ? `"${text}"` : excerpt(text);
}
