import type { Interface } from "ethers";

/** The custom error a failed call reverted with, decoded against `iface`, if any. */
export function decodeRevert(error: unknown, iface: Interface): { name: string; args: readonly unknown[] } | undefined {
  const seen = new Set<unknown>();
  let current: unknown = error;
  while (typeof current === "object" && current !== null && !seen.has(current)) {
    seen.add(current);
    const e = current as { revert?: { name: string; args: readonly unknown[] }; data?: unknown; cause?: unknown; error?: unknown };
    if (e.revert?.name !== undefined) {
      return e.revert;
    }
    if (typeof e.data === "string" && e.data.startsWith("0x") && e.data.length >= 10) {
      try {
        const parsed = iface.parseError(e.data);
        if (parsed !== null) {
          return { name: parsed.name, args: [...parsed.args] };
        }
      } catch {
        // not one of ours; keep looking
      }
    }
    current = e.cause ?? e.error;
  }
  return undefined;
}
