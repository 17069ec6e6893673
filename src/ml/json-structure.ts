// What JSON.parse lets through but a user's JSON file must not hold (issue 15): a key given twice in
// one object (readers disagree on which wins — JSON.parse takes the last, others the first — so the
// file means different things to different tools), and nesting so deep that any recursive walker
// (JSON.stringify in an error message, a validator) dies with a RangeError. Scanned iteratively, so
// the scan itself cannot overflow the stack.
import { flaiError } from "../errors.js";
import { excerpt } from "../util/excerpt.js";

/** Deepest nesting of arrays and objects a JSON input may have; a dataset or model spec needs 3. */
export const MAX_JSON_DEPTH = 64;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/** Throws, naming the line, on a duplicate key or nesting deeper than MAX_JSON_DEPTH; `text` is valid JSON. */
export function checkJsonStructure(text: string, source: string): void {
  // One entry per open container: the keys seen so far for an object, null for an array.
  const open: (Set<string> | null)[] = [];
  let expectKey = false;
  let line = 1;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x0a) line++;
    else if (c === 0x7b || c === 0x5b) {
      open.push(c === 0x7b ? new Set() : null);
      expectKey = c === 0x7b;
      if (open.length > MAX_JSON_DEPTH) {
        throw flaiError(
          `${source} line ${line}: arrays and objects are nested more than ${MAX_JSON_DEPTH} deep. ` +
            `A dataset or model spec needs at most 3 levels; check the file is the one meant.`,
        );
      }
    } else if (c === 0x7d || c === 0x5d) open.pop();
    else if (c === 0x2c) expectKey = open.at(-1) instanceof Set;
    else if (c === 0x3a) expectKey = false;
    else if (c === QUOTE) {
      let end = i + 1;
      while (text.charCodeAt(end) !== QUOTE) end += text.charCodeAt(end) === BACKSLASH ? 2 : 1;
      const keys = open.at(-1);
      if (expectKey && keys) {
        const key = JSON.parse(text.slice(i, end + 1)) as string;
        if (keys.has(key)) {
          throw flaiError(
            `${source} line ${line}: key ${excerpt(key)} appears twice in the same object; JSON readers disagree on ` +
              `which value wins. Keep one of them.`,
          );
        }
        keys.add(key);
      }
      i = end;
    }
  }
}
