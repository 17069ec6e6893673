// What an error message may show of a user's data (issue 15): a short, quoted excerpt, never a whole
// cell or line (a 5 MB cell would flood the terminal and CI logs), and never something shaped like a
// secret (a 32-byte hex string is a private key as often as it is a hash, so it is shown by its ends only).

/** Characters of user data an error message shows at most. */
export const EXCERPT_LIMIT = 60;

// 64 hex digits, with or without 0x, not part of a longer hex run: private keys, seeds, hashes.
const SECRET_LIKE = /(?<![0-9a-fA-F])(0x)?[0-9a-fA-F]{64}(?![0-9a-fA-F])/g;

/** `value` hidden when it may be a key: its first and last 4 hex digits and how long it is. */
function maskSecretLike(text: string): string {
  return text.replace(SECRET_LIKE, (hex, prefix: string | undefined) => {
    const digits = hex.slice(prefix === undefined ? 0 : 2);
    return `${prefix ?? ""}${digits.slice(0, 4)}…${digits.slice(-4)} (64 hex digits, hidden)`;
  });
}

/**
 * `value` as an error message quotes it: JSON-quoted (so whitespace and control characters show),
 * secret-like runs masked, cut to `limit` characters with the full length named.
 */
export function excerpt(value: unknown, limit = EXCERPT_LIMIT): string {
  const text = typeof value === "string" ? value : String(value);
  const masked = maskSecretLike(text);
  if (masked.length <= limit) return JSON.stringify(masked);
  // Cut on a code point boundary, so an astral character is never split into half a surrogate pair.
  let head = "";
  for (const char of masked) {
    if (head.length + char.length > limit) break;
    head += char;
  }
  return `${JSON.stringify(head)}… (${text.length} characters)`;
}
