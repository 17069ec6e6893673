import type { Contract } from "ethers";
import { formatEther } from "ethers";

import { readAccount, readService, type UserAccount } from "./serving-contract.js";
import { ProviderRejection, checkTokenTimes, parseSessionToken, EPHEMERAL_TOKEN_ID, type SessionToken } from "./session-token.js";

/** The provider keeps this much locked beyond fees (the real provider's MinimumLockedBalance, 1 0G). */
export const MIN_LOCKED_BALANCE = 10n ** 18n;

export interface AccessContext {
  inference: Contract;
  provider: string;
}

/**
 * The real provider's session checks, in its order: token format and signature, provider and
 * expiry, then on-chain: the sub-account exists, the token's generation is current and its tokenId
 * not revoked. Returns the user's token and account.
 */
export async function checkSession(
  ctx: AccessContext,
  authorization: string | undefined,
): Promise<{ token: SessionToken; account: UserAccount }> {
  const token = parseSessionToken(authorization);
  checkTokenTimes(token, ctx.provider);
  const account = await readAccount(ctx.inference, token.address, ctx.provider);
  if (account === undefined) {
    throw new ProviderRejection(
      402,
      `AccountNotExists: user ${token.address} has no sub-account with provider ${ctx.provider}; ` +
        `create it with broker.inference.acknowledgeProviderSigner(provider) or broker.ledger.transferFund(provider, "inference", amount)`,
    );
  }
  if (BigInt(token.generation) !== account.generation) {
    throw new ProviderRejection(
      401,
      `token revoked: it has generation ${token.generation} but the account is at generation ${account.generation} ` +
        `(revokeAllTokens); request new headers`,
    );
  }
  if (token.tokenId !== EPHEMERAL_TOKEN_ID && (account.revokedBitmap >> BigInt(token.tokenId)) & 1n) {
    throw new ProviderRejection(401, `token revoked: API key tokenId ${token.tokenId} was revoked (revokeApiKey)`);
  }
  return { token, account };
}

/**
 * Everything a paid request needs on top of a valid session: the user trusts this provider's TEE
 * signer, the contract owner acknowledged it, and the sub-account covers the estimated fee, what is
 * not settled yet and the minimum locked balance.
 */
export async function checkPaidRequest(
  ctx: AccessContext,
  authorization: string | undefined,
  cost: { estimate: bigint; unsettled: (user: string) => bigint },
): Promise<SessionToken> {
  const { token, account } = await checkSession(ctx, authorization);
  if (!account.acknowledged) {
    throw new ProviderRejection(
      401,
      `user ${token.address} has not acknowledged provider ${ctx.provider}'s TEE signer; call broker.inference.acknowledgeProviderSigner(provider)`,
    );
  }
  const service = await readService(ctx.inference, ctx.provider);
  if (service === undefined || !service.teeSignerAcknowledged) {
    throw new ProviderRejection(
      401,
      `provider ${ctx.provider}'s TEE signer is not acknowledged by the contract owner (acknowledgeTEESignerByOwner); the service is not usable yet`,
    );
  }
  const available = account.balance - account.pendingRefund;
  const unsettled = cost.unsettled(token.address);
  const needed = cost.estimate + unsettled + MIN_LOCKED_BALANCE;
  if (available < needed) {
    throw new ProviderRejection(
      402,
      `Insufficient balance: the sub-account of ${token.address} holds ${formatEther(available)} 0G (balance minus pending refunds) ` +
        `but this request needs ${formatEther(needed)} 0G (estimated fee ${formatEther(cost.estimate)} + unsettled ${formatEther(unsettled)} ` +
        `+ minimum locked balance 1 0G); deposit with broker.ledger.depositFund and transfer with broker.ledger.transferFund(provider, "inference", amount)`,
    );
  }
  return token;
}
