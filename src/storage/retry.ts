import { isFlaiError } from "../errors.js";
import { isResponseTooLarge } from "../util/http-body.js";

/** Errors worth retrying: the network hiccuped, the request itself was fine. */
export function isTransient(error: unknown): boolean {
  // An oversized answer would be as large again (and its message holds a URL whose port may read "503").
  if (isResponseTooLarge(error) || (isFlaiError(error) && isResponseTooLarge(error.cause))) return false;
  const text = `${(error as { code?: string })?.code ?? ""} ${(error as Error)?.message ?? String(error)}`;
  return /ECONNRESET|ECONNREFUSED|ETIMEDOUT|EAI_AGAIN|EPIPE|socket hang up|fetch failed|network error|timeout|50[234]|too many data writing/i.test(
    text,
  );
}

/** Runs `fn`, retrying transient failures with exponential backoff (base, 2×base, 4×base, …). */
export async function withRetries<T>(fn: () => Promise<T>, { retries, baseMs = 250 }: { retries: number; baseMs?: number }): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn();
    } catch (error) {
      if (attempt >= retries || !isTransient(error)) {
        throw error;
      }
      await new Promise((resolve) => setTimeout(resolve, baseMs * 2 ** attempt));
    }
  }
}
