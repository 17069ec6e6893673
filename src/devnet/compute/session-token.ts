import { getAddress, getBytes, keccak256, toUtf8Bytes, verifyMessage } from "ethers";

/** The SDK's session token (0.9.0 `generateSessionToken`); times in ms since the epoch. */
export interface SessionToken {
  address: string;
  provider: string;
  timestamp: number;
  /** 0 = never (persistent API keys only). */
  expiresAt: number;
  nonce: string;
  generation: number;
  /** 0-254: a persistent API key, revocable one by one; 255: an ephemeral session token. */
  tokenId: number;
}

export const EPHEMERAL_TOKEN_ID = 255;
export const EPHEMERAL_MAX_DURATION_MS = 24 * 60 * 60 * 1000;

const PREFIX = "Bearer app-sk-";

/** A rejected request: the HTTP status and the `{error}` text the client sees. */
export class ProviderRejection extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const invalid = (why: string) => new ProviderRejection(401, `invalid token: ${why}`);

/**
 * Decodes `Authorization: Bearer app-sk-<base64(tokenJSON + "|" + signature)>` and checks that the
 * signature (personal_sign over the 32 bytes keccak256(tokenJSON)) is by the token's address.
 * Everything that needs the chain is checked by the caller.
 */
export function parseSessionToken(authorization: string | undefined): SessionToken {
  if (authorization === undefined || authorization === "") {
    throw invalid(`missing "Authorization: Bearer app-sk-…" header; get one with broker.inference.getRequestHeaders(provider)`);
  }
  if (!authorization.startsWith(PREFIX)) {
    throw invalid(`the Authorization header must start with "${PREFIX}"`);
  }
  const encoded = authorization.slice(PREFIX.length).trim();
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(encoded)) {
    throw invalid("the part after app-sk- is not base64");
  }
  const decoded = Buffer.from(encoded, "base64").toString("utf8");
  const bar = decoded.indexOf("|");
  if (bar < 0) {
    throw invalid(`expected base64 of "<token JSON>|<signature>", found no "|"`);
  }
  const raw = decoded.slice(0, bar);
  const signature = decoded.slice(bar + 1);
  const token = checkShape(raw);
  let signer: string;
  try {
    signer = verifyMessage(getBytes(keccak256(toUtf8Bytes(raw))), signature);
  } catch {
    throw invalid("the signature is malformed");
  }
  if (signer !== token.address) {
    throw invalid(`signature mismatch: the token was signed by ${signer}, not by its address ${token.address} (altered or forged)`);
  }
  return token;
}

function checkShape(raw: string): SessionToken {
  let doc: unknown;
  try {
    doc = JSON.parse(raw);
  } catch {
    throw invalid("the token is not JSON");
  }
  const t = doc as Record<string, unknown>;
  const isInt = (v: unknown) => typeof v === "number" && Number.isSafeInteger(v) && v >= 0;
  if (typeof t !== "object" || t === null || typeof t.address !== "string" || typeof t.provider !== "string") {
    throw invalid("the token lacks address or provider");
  }
  if (!isInt(t.timestamp) || !isInt(t.expiresAt) || !isInt(t.generation) || typeof t.nonce !== "string") {
    throw invalid("the token's timestamp, expiresAt, nonce or generation is malformed");
  }
  if (!isInt(t.tokenId) || (t.tokenId as number) > EPHEMERAL_TOKEN_ID) {
    throw invalid(`tokenId must be 0-${EPHEMERAL_TOKEN_ID}`);
  }
  let address: string;
  let provider: string;
  try {
    address = getAddress(t.address);
    provider = getAddress(t.provider);
  } catch {
    throw invalid("the token's address or provider is not an address");
  }
  return {
    address,
    provider,
    timestamp: t.timestamp as number,
    expiresAt: t.expiresAt as number,
    nonce: t.nonce,
    generation: t.generation as number,
    tokenId: t.tokenId as number,
  };
}

/** The checks that need only the clock and this provider's address. */
export function checkTokenTimes(token: SessionToken, provider: string, now = Date.now()): void {
  if (token.provider !== getAddress(provider)) {
    throw invalid(`it was issued for provider ${token.provider}, this is provider ${getAddress(provider)}`);
  }
  if (token.tokenId === EPHEMERAL_TOKEN_ID) {
    if (token.expiresAt === 0 || token.expiresAt - token.timestamp > EPHEMERAL_MAX_DURATION_MS) {
      throw invalid("an ephemeral token (tokenId 255) must expire at most 24 h after its timestamp");
    }
  }
  if (token.expiresAt !== 0 && now > token.expiresAt) {
    throw new ProviderRejection(401, `token expired at ${new Date(token.expiresAt).toISOString()}; request new headers`);
  }
}
