import { styleText } from "node:util";

/** Everything a task prints goes through here, so `--json` can keep stdout to one JSON document. */
export class Ui {
  readonly json: boolean;
  readonly #out: (line: string) => void;
  readonly #tty: boolean;

  constructor({ json = false, out = (line: string) => console.log(line), tty = process.stderr.isTTY === true } = {}) {
    this.json = json;
    this.#out = out;
    this.#tty = tty;
  }

  title(text: string): void {
    this.line(styleText("bold", text));
  }

  step(text: string): void {
    this.line(`${styleText("cyan", "→")} ${text}`);
  }

  ok(text: string): void {
    this.line(`${styleText("green", "✔")} ${text}`);
  }

  info(label: string, value: string | number | bigint | boolean): void {
    this.line(`  ${styleText("dim", label.padEnd(14))} ${value}`);
  }

  line(text = ""): void {
    if (!this.json) {
      this.#out(text);
    }
  }

  /** A warning the user must see: a line of output, or with --json on stderr (stdout stays one JSON document). */
  warn(text: string): void {
    if (this.json) {
      console.warn(text);
    } else {
      this.#out(text);
    }
  }

  /**
   * One event of a long-running task (a follower), as it happens: its text line, or with --json the
   * value as one compact JSON line (JSON lines: one object per line; bigints become strings).
   */
  event(text: string, value: object): void {
    this.#out(this.json ? JSON.stringify(value, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v)) : text);
  }

  /** The task's machine-readable result; printed only with --json (bigints become strings). */
  result(value: unknown): void {
    if (this.json) {
      this.#out(JSON.stringify(value, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v), 2));
    }
  }

  /**
   * Shows elapsed time for work that takes a while (on stderr, only on a terminal, never with --json)
   * and returns what `work` returns.
   */
  async progress<T>(label: string, work: (update: (detail: string) => void) => Promise<T>): Promise<T> {
    if (this.json || !this.#tty) {
      return work(() => {});
    }
    const started = Date.now();
    const frames = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏";
    let i = 0;
    let detail = "";
    const draw = () =>
      process.stderr.write(
        `\r\x1b[2K${frames[i++ % frames.length]} ${label} ${((Date.now() - started) / 1000).toFixed(1)} s ${detail}`.slice(0, 160),
      );
    draw();
    const timer = setInterval(draw, 100);
    try {
      return await work((next) => {
        detail = next;
      });
    } finally {
      clearInterval(timer);
      process.stderr.write("\r\x1b[2K");
    }
  }
}

export function shortHex(hex: string, keep = 10): string {
  return hex.length <= 2 * keep + 2 ? hex : `${hex.slice(0, keep)}…${hex.slice(-keep + 2)}`;
}

/** A text progress bar, e.g. "[#####-----] 12/24 segments". */
export function bar(done: number, total: number, unit: string, width = 20): string {
  const filled = total === 0 ? width : Math.round((done / total) * width);
  return `[${"#".repeat(filled)}${"-".repeat(width - filled)}] ${done}/${total} ${unit}`;
}

/** One line for a storage call's progress: a segment bar when the backend counts segments. */
export function describeProgress(p: { step: string; segmentsDone?: number; segmentsTotal?: number }): string {
  return p.segmentsTotal !== undefined ? bar(p.segmentsDone ?? 0, p.segmentsTotal, "segments") : p.step;
}
