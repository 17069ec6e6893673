// One NumPy .npy array (the members of an .npz): the header, a Python dict literal such as
// {'descr': '<f8', 'fortran_order': False, 'shape': (200, 100000), }, then the raw values. The
// header is parsed as a literal, never evaluated, and object arrays (pickles) are refused unread.
// The shape must account for exactly the bytes that follow, so a lying header allocates nothing.
import { flaiError } from "../errors.js";

/** numpy's own limit (np.load's max_header_size): a real header is ~128 bytes. */
const MAX_HEADER = 10_000;

export const NPY_MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // "\x93NUMPY"

/** The value kinds a dataset array may hold (little-endian or single-byte only). */
export type NpyKind = "float" | "int" | "uint" | "bool" | "unicode";

export interface NpyArray {
  /** The member's name without ".npy", as the user wrote it in np.savez (X, y). */
  name: string;
  descr: string;
  kind: NpyKind;
  /** Bytes per element (a '<U6' string is 24: six UTF-32 code units). */
  itemSize: number;
  shape: number[];
  fortranOrder: boolean;
  /** The values, exactly itemSize × prod(shape) bytes. */
  data: Uint8Array;
}

/** True when `bytes` start with the .npy magic. */
export function isNpy(bytes: Uint8Array): boolean {
  return NPY_MAGIC.every((b, k) => bytes[k] === b);
}

/**
 * Where the values of the .npy array starting at `bytes` begin (past its header), from its first 12
 * bytes; undefined when they are no .npy header of a known version. Checks nothing else: readNpy does.
 */
export function npyValuesOffset(bytes: Uint8Array): number | undefined {
  if (!isNpy(bytes) || bytes.length < 12 || bytes[6]! < 1 || bytes[6]! > 3) return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return bytes[6] === 1 ? 10 + view.getUint16(8, true) : 12 + view.getUint32(8, true);
}

/** The array in a .npy file's bytes; `name` and `where` name it in errors. */
export function readNpy(bytes: Uint8Array, name: string, where: string): NpyArray {
  if (!isNpy(bytes) || bytes.length < 10)
    throw flaiError(`${where} is not a NumPy .npy array (no "\\x93NUMPY" header); the file is corrupt.`);
  const major = bytes[6]!;
  if (major < 1 || major > 3)
    throw flaiError(`${where} is .npy format version ${major}.${bytes[7]}, which is not supported (1.0 to 3.0 are).`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerStart = major === 1 ? 10 : 12;
  if (bytes.length < headerStart) throw flaiError(`${where} is truncated inside its .npy header.`);
  const headerLength = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  if (headerLength > MAX_HEADER)
    throw flaiError(`${where}: its .npy header claims ${headerLength} bytes; numpy writes at most ${MAX_HEADER}. The file is corrupt.`);
  const dataStart = headerStart + headerLength;
  if (dataStart > bytes.length)
    throw flaiError(`${where}: its .npy header claims ${headerLength} bytes, past the end of the array; the file is truncated.`);
  const text = new TextDecoder(major === 3 ? "utf-8" : "latin1").decode(bytes.subarray(headerStart, dataStart));
  const header = parseHeader(text, where);
  const { kind, itemSize } = dtypeOf(header.descr, name, where);
  const data = bytes.subarray(dataStart);
  const expected = header.shape.reduce((n, d) => n * d, itemSize);
  if (expected !== data.length) {
    throw flaiError(
      `${where}: its header says shape ${shapeText(header.shape)} of ${header.descr}, which is ${expected} bytes, ` +
        `but ${data.length} bytes follow; the file is truncated or its header is wrong. Save the array again with numpy.`,
    );
  }
  return { name, descr: header.descr, kind, itemSize, shape: header.shape, fortranOrder: header.fortranOrder, data };
}

/** A shape as Python prints it: (12, 8), (12,), (). */
export function shapeText(shape: readonly number[]): string {
  return shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(", ")})`;
}

interface NpyHeader {
  descr: string;
  fortranOrder: boolean;
  shape: number[];
}

/** The three keys numpy writes; anything else (a structured dtype, a malformed literal) is refused. */
function parseHeader(text: string, where: string): NpyHeader {
  const shown = text.trim().length > 160 ? `${text.trim().slice(0, 160)}…` : text.trim();
  const bad = (why: string) =>
    flaiError(`${where}: its .npy header ${JSON.stringify(shown)} ${why}; the file is corrupt or not written by numpy.`);
  let literal: unknown;
  try {
    literal = new PyLiteral(text, bad).parse();
  } catch (error) {
    if (error instanceof RangeError) throw bad("nests too deeply"); // the stack, not our check
    throw error;
  }
  if (literal === null || typeof literal !== "object" || Array.isArray(literal)) throw bad("is not a dict");
  const dict = literal as Record<string, unknown>;
  const { descr, fortran_order: fortranOrder, shape } = dict;
  if (Array.isArray(descr)) {
    throw flaiError(`${where} is a structured (record) array; save each column as a plain array, e.g. np.savez(path, X=X, y=y).`);
  }
  if (typeof descr !== "string") throw bad("has no 'descr' string");
  if (typeof fortranOrder !== "boolean") throw bad("has no 'fortran_order' True/False");
  if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && (d as number) >= 0))
    throw bad("has no 'shape' tuple of sizes");
  return { descr, fortranOrder, shape: shape as number[] };
}

const DTYPE = /^([<>|=])([fiubU])(\d+)$/;
const KINDS: Record<string, NpyKind> = { f: "float", i: "int", u: "uint", b: "bool", U: "unicode" };
const SIZES: Record<NpyKind, number[]> = { float: [4, 8], int: [1, 2, 4, 8], uint: [1, 2, 4, 8], bool: [1], unicode: [] };

/** The kind and element size of a supported dtype; any other is refused with the cast to make. */
function dtypeOf(descr: string, name: string, where: string): { kind: NpyKind; itemSize: number } {
  if (descr.endsWith("O")) {
    throw flaiError(
      `${where} is an object array (dtype ${descr}), which numpy stores as a pickle; pickles are never loaded (they can run code). ` +
        `Convert it before saving: ${name}.astype(np.float64) for numbers, ${name}.astype(str) for class names.`,
    );
  }
  const match = DTYPE.exec(descr);
  const kind = match === null ? undefined : KINDS[match[2]!];
  const count = match === null ? 0 : Number(match[3]);
  const itemSize = kind === "unicode" ? count * 4 : count;
  const bigEndian = match?.[1] === ">" && itemSize > 1 && kind !== undefined;
  const supported = kind !== undefined && !bigEndian && (kind === "unicode" ? count > 0 : SIZES[kind].includes(count));
  if (!supported) {
    const cast = kind === "unicode" || descr.includes("S") ? `${name}.astype(str)` : `${name}.astype(np.float64)`;
    const why = bigEndian ? "big-endian" : "not supported";
    throw flaiError(
      `${where} has dtype ${descr}, which is ${why}; little-endian float64/float32, integers, bool and unicode strings are. ` +
        `Convert it before saving: ${cast}.`,
    );
  }
  return { kind, itemSize };
}

/** A parser for the Python literals a .npy header holds: dicts, tuples, lists, strings, ints, True/False. */
class PyLiteral {
  private i = 0;
  constructor(
    private readonly text: string,
    private readonly bad: (why: string) => Error,
  ) {}

  parse(): unknown {
    const value = this.value();
    this.space();
    if (this.i !== this.text.length) throw this.bad(`has text after its dict at character ${this.i}`);
    return value;
  }

  private space(): void {
    while (this.i < this.text.length && " \t\n\r".includes(this.text[this.i]!)) this.i++;
  }

  private value(): unknown {
    this.space();
    const ch = this.text[this.i];
    if (ch === "{") return this.dict();
    if (ch === "(" || ch === "[") return this.sequence(ch === "(" ? ")" : "]");
    if (ch === "'" || ch === '"') return this.string(ch);
    for (const [word, value] of [
      ["True", true],
      ["False", false],
    ] as const) {
      if (this.text.startsWith(word, this.i)) {
        this.i += word.length;
        return value;
      }
    }
    const digits = /^\d+L?/.exec(this.text.slice(this.i, this.i + 24));
    if (digits === null) throw this.bad(`has an unexpected ${JSON.stringify(ch ?? "end")} at character ${this.i}`);
    this.i += digits[0].length;
    return Number(digits[0].replace("L", ""));
  }

  private dict(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const [key, value] of this.items("}", () => {
      const key = this.value();
      this.space();
      if (typeof key !== "string" || this.text[this.i] !== ":") throw this.bad(`has a malformed key at character ${this.i}`);
      this.i++;
      return [key, this.value()] as const;
    })) {
      out[key] = value;
    }
    return out;
  }

  private sequence(close: string): unknown[] {
    return this.items(close, () => this.value());
  }

  /** Comma-separated items up to `close`, a trailing comma allowed (numpy writes one). */
  private items<T>(close: string, item: () => T): T[] {
    this.i++;
    const out: T[] = [];
    for (;;) {
      this.space();
      if (this.text[this.i] === close) {
        this.i++;
        return out;
      }
      out.push(item());
      this.space();
      if (this.text[this.i] === ",") this.i++;
      else if (this.text[this.i] !== close) throw this.bad(`is missing "," or "${close}" at character ${this.i}`);
    }
  }

  private string(quote: string): string {
    const end = this.text.indexOf(quote, this.i + 1);
    if (end === -1) throw this.bad("has an unclosed string");
    const value = this.text.slice(this.i + 1, end);
    this.i = end + 1;
    return value;
  }
}
