// Issue 15, echoed input: a parser error quotes at most a short excerpt of the user's data (a 5 MB
// cell was quoted in full) and never a private key that sat in a data cell (src/ml/shown.ts).
import { expect } from "chai";

import { parseDataset } from "../../src/ml/dataset.js";
import { EXCERPT_LIMIT } from "../../src/util/excerpt.js";
import { expectFlaiError } from "../helpers/assert.js";

const KEY = "ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcaf784d7bf4f2ff80";
const HUGE = "x".repeat(5_000_000);
const bytes = (text: string) => new TextEncoder().encode(text);

/** The error's message is short, does not hold `secret`, and names `fragments`. */
async function expectShortError(text: string, secret: string, ...fragments: string[]): Promise<void> {
  const error = await expectFlaiError(() => parseDataset(bytes(text), "data.csv"), ...fragments);
  expect(error.message).not.to.contain(secret);
  expect(error.message.length).to.be.below(600);
}

describe("bad input: errors about data quote an excerpt, never the whole value or a key", () => {
  it("a 5 MB CSV feature cell is cut to an excerpt naming its length", async () => {
    await expectShortError(`a,label\n${HUGE},1\n`, "x".repeat(EXCERPT_LIMIT + 1), "line 2", "(5000000 characters)");
  });

  it("a private key in a CSV feature cell is masked to its ends", async () => {
    await expectShortError(`a,label\n1,0\n${KEY},1\n`, KEY, "line 3", "ac09…ff80");
  });

  it("a private key as a JSON label is masked to its ends", async () => {
    await expectShortError(`{"features": [[1], [2]], "labels": [0, {"k": "${KEY}"}]}`, KEY, "labels[1]");
  });

  it("a 5 MB JSON feature string is cut to an excerpt", async () => {
    await expectShortError(`{"features": [[1], ["${HUGE}"]], "labels": [0, 1]}`, "x".repeat(EXCERPT_LIMIT + 1), "features[1][0]");
  });

  it("a header of 5000 long column names lists a few of them, not all", async () => {
    const names = Array.from({ length: 5000 }, (_, k) => `column_${k}_${"y".repeat(50)}`);
    const text = `${names.join(",")}\n${names.map(() => "1").join(",")}\n`;
    const error = await expectFlaiError(() => parseDataset(bytes(text), "data.csv", { label: "nope" }), "no column", "4997 more");
    // Twelve names of 60 characters each made a 900-character line; the list stops at 240 characters.
    expect(error.message.length).to.be.below(400);
  });
});
