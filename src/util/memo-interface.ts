import { Interface, type BytesLike, type EventFragment, type FunctionFragment, type InterfaceAbi, type Result } from "ethers";

/** Entries one function's memo keeps before it starts over: more than one round's repeated calls. */
const MAX_ENTRIES = 256;

/**
 * An ethers Interface that remembers the calls it encoded and the results it decoded. Both are pure
 * functions — of (function, arguments) and of (function, returned bytes) — so a remembered one can
 * never be stale, and the Results ethers decodes are frozen, so sharing one is safe. Why: ethers'
 * ABI coder builds its coders anew for every call (~0.1–0.2 ms each way), and the clients of an
 * fl-run make the same calls with the same arguments and answers (getTask(id), getRound(id, r), the
 * registry's reads; estimateGas and the send encode the same transaction twice), and every client
 * that claims decodes the task's same RoundFinalized events.
 * Only calls whose arguments are plain values (strings, numbers, bigints, booleans and arrays of
 * them) and results given as hex strings are remembered; anything else goes straight to ethers.
 */
export class MemoInterface extends Interface {
  // Keyed by the fragment object ethers passes (or the name a caller passes): one memo per function or event.
  readonly #encoded = new Map<FunctionFragment | string, Map<string, string>>();
  readonly #decoded = new Map<FunctionFragment | string, Map<string, Result>>();
  readonly #events = new Map<EventFragment | string, Map<string, Result>>();

  override encodeFunctionData(fragment: FunctionFragment | string, values?: ReadonlyArray<unknown>): string {
    const key = argumentsKey(values ?? []);
    if (key === undefined) return super.encodeFunctionData(fragment, values);
    return memoized(this.#encoded, fragment, key, () => super.encodeFunctionData(fragment, values));
  }

  override decodeFunctionResult(fragment: FunctionFragment | string, data: BytesLike): Result {
    if (typeof data !== "string") return super.decodeFunctionResult(fragment, data);
    // A revert throws here and is never remembered.
    return memoized(this.#decoded, fragment, data, () => super.decodeFunctionResult(fragment, data));
  }

  override decodeEventLog(fragment: EventFragment | string, data: BytesLike, topics?: ReadonlyArray<string>): Result {
    if (typeof data !== "string") return super.decodeEventLog(fragment, data, topics);
    const key = `${(topics ?? []).join(",")}|${data}`;
    return memoized(this.#events, fragment, key, () => super.decodeEventLog(fragment, data, topics));
  }
}

/** An Interface for `abi` that remembers its encodings and decodings (see MemoInterface). */
export function memoInterface(abi: InterfaceAbi): MemoInterface {
  return new MemoInterface(abi);
}

/**
 * What `fragment`'s memo holds for `key`, or else `compute()`, remembered (a compute that throws is not).
 * A full memo starts over rather than growing without bound.
 */
function memoized<F, T>(memos: Map<F, Map<string, T>>, fragment: F, key: string, compute: () => T): T {
  let memo = memos.get(fragment);
  if (memo === undefined) {
    memo = new Map();
    memos.set(fragment, memo);
  }
  let value = memo.get(key);
  if (value === undefined) {
    value = compute();
    if (memo.size >= MAX_ENTRIES) memo.clear();
    memo.set(key, value);
  }
  return value;
}

/** A key naming the arguments exactly, or undefined when one is not a plain value. */
export function argumentsKey(values: ReadonlyArray<unknown>): string | undefined {
  const parts: string[] = [];
  for (const value of values) {
    const part = valueKey(value);
    if (part === undefined) return undefined;
    parts.push(part);
  }
  return parts.join(",");
}

function valueKey(value: unknown): string | undefined {
  switch (typeof value) {
    case "string":
      return JSON.stringify(value);
    case "bigint":
      return `${value}n`;
    case "number":
      return Number.isFinite(value) ? String(value) : undefined;
    case "boolean":
      return value ? "true" : "false";
    default:
      if (Array.isArray(value)) {
        const inner = argumentsKey(value);
        return inner === undefined ? undefined : `[${inner}]`;
      }
      return undefined;
  }
}
