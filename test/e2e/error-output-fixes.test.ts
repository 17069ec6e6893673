import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";

import { expect } from "chai";

import { commitRoundInputs, type RoundKey } from "../../src/federated/round-record.js";
import { exchangeError, type ExchangeCheck } from "../../src/market/exchange.js";
import { shownList } from "../../src/ml/shown.js";
import { expectFlaiError } from "../helpers/assert.js";
import { MAX_LINE_CHARS, outputProblems } from "../helpers/error-output.js";

/**
 * Messages the error-output scan (test/e2e/zz-error-output.test.ts) found too long (issue 15), each checked
 * here as Hardhat's CLI prints it.
 */
describe("error output: messages the scan found too long", () => {
  const HASHES = `${"5e".repeat(32)}:${"bc".repeat(32)}`;
  const EXPECTED = `${"b6".repeat(32)}:${"bf".repeat(32)}`;
  const mismatch = (signedText: string): ExchangeCheck => ({
    verdict: "text-mismatch",
    expectedText: EXPECTED,
    signedText,
    expectedSigner: "0x70997970C51812dc3A010C7d01b50e0d17dc79C8",
  });
  const chat = "ec99ee88-53bd-45bc-81ec-1b03efdd0ef1";

  it("a signed-text mismatch puts each hash pair on its own line (one line was 606 characters)", () => {
    const error = exchangeError(mismatch(HASHES), "0x70997970C51812dc3A010C7d01b50e0d17dc79C8", chat);
    expect(error.message).to.contain(`"${HASHES}"`).and.to.contain(`"${EXPECTED}"`);
    expect(outputProblems(printed(error.message))).to.deep.equal([]);
  });

  it("a provider's 1 MB signed text is quoted as an excerpt, not echoed", () => {
    const error = exchangeError(mismatch("x".repeat(1_000_000)), "0x70997970C51812dc3A010C7d01b50e0d17dc79C8", chat);
    expect(error.message).to.contain("(1000000 characters)");
    expect(error.message.length).to.be.below(MAX_LINE_CHARS);
  });

  it("a list of long names stops at a character budget, not only at 12 names", () => {
    const names = Array.from({ length: 20 }, (_, k) => `column_${k}_${"y".repeat(50)}`);
    const list = shownList(names);
    expect(list).to.match(/^"column_0_y+", "column_1_y+", "column_2_y+" and 17 more$/);
    expect(list.length).to.be.below(260);
    expect(shownList(["a", "b"])).to.equal('"a", "b"');
  });
});

function printed(message: string) {
  return {
    kind: "thrown" as const,
    args: [],
    testFile: "",
    code: 1,
    stoppedByTest: false,
    stdout: "",
    stderr: `Error in community plugin hardhat-flai: ${message}\n`,
  };
}

describe("error output: a changed round's update set names a few clients, not all", () => {
  it("60 newly accepted clients are named as 3 and how many more (was every address, 43 characters each)", async () => {
    const enclaveDir = await mkdtemp(path.join(tmpdir(), "flai-enclave-"));
    const key: RoundKey = {
      chainId: "31337",
      contract: "0x" + "ab".repeat(20),
      taskId: "1",
      round: 1,
      previousHash: "0x" + "00".repeat(32),
    };
    await commitRoundInputs(enclaveDir, key, { inputHash: "0x" + "11".repeat(32), accepted: [], recorded: 0 });
    const clients = Array.from({ length: 60 }, (_, k) => `0x${(k + 1).toString(16).padStart(40, "0")}`);
    const error = await expectFlaiError(
      () => commitRoundInputs(enclaveDir, key, { inputHash: "0x" + "22".repeat(32), accepted: clients, recorded: 60 }),
      "[update-set-changed]",
      `newly accepted: ${clients.slice(0, 3).join(", ")} and 57 more.`,
    );
    expect(outputProblems(printed(error.message))).to.deep.equal([]);
  });
});
