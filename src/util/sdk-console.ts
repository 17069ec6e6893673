/**
 * The 0G storage SDK logs every step with console.log/error. While an SDK call runs, its lines are
 * kept (the last few go into error messages) instead of printed, so task output stays clean.
 */
let depth = 0;
let saved: Pick<Console, "log" | "error" | "warn" | "info" | "debug"> | undefined;
const recent: string[] = [];
const KEEP = 20;
/**
 * A kept line is cut to this many characters: the last three go into one error message line, which
 * must stay readable (a 0G error quoting three 300-character SDK lines made a ~800-character line).
 */
const LINE_CHARS = 120;

function capture(...args: unknown[]): void {
  const line = args.map((a) => (typeof a === "string" ? a : safeString(a))).join(" ");
  recent.push(line.length > LINE_CHARS ? line.slice(0, LINE_CHARS) + "…" : line);
  if (recent.length > KEEP) {
    recent.shift();
  }
}

function safeString(value: unknown): string {
  if (value instanceof Error) {
    return value.message;
  }
  try {
    return JSON.stringify(value, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v));
  } catch {
    return String(value);
  }
}

/** Starts capturing; the returned function stops (idempotent), even if the SDK call never settles. */
export function silence(): () => void {
  if (depth++ === 0) {
    saved = { log: console.log, error: console.error, warn: console.warn, info: console.info, debug: console.debug };
    console.log = console.error = console.warn = console.info = console.debug = capture;
  }
  let released = false;
  return () => {
    if (released) {
      return;
    }
    released = true;
    if (--depth === 0 && saved !== undefined) {
      Object.assign(console, saved);
      saved = undefined;
    }
  };
}

export async function quietly<T>(work: () => Promise<T>): Promise<T> {
  const release = silence();
  try {
    return await work();
  } finally {
    release();
  }
}

/** The SDK's last log lines, for an error message. */
export function recentSdkLines(count = 3): string[] {
  return recent.slice(-count);
}
