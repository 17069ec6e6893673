import { expect } from "chai";

import { inAccountOrder } from "../../src/util/account-queue.js";

const tick = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("inAccountOrder: one account's transactions go out one at a time, in order", () => {
  it("runs one account's work in call order, never overlapping, and other accounts alongside", async () => {
    const events: string[] = [];
    let inFlight = 0;
    let maxInFlight = 0;
    const work = (name: string, ms: number) => async () => {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      events.push(`${name}:start`);
      await tick(ms);
      events.push(`${name}:end`);
      inFlight--;
      return name;
    };
    const other: string[] = [];
    const results = await Promise.all([
      inAccountOrder("0xAbC", work("a1", 30)),
      inAccountOrder("0xabc", work("a2", 1)), // the same account in another case
      inAccountOrder("0xABC", work("a3", 1)),
      inAccountOrder("0xdef", async () => {
        other.push(`b while a has ${inFlight} in flight`);
        return "b";
      }),
    ]);
    expect(results).to.deep.equal(["a1", "a2", "a3", "b"]);
    expect(events).to.deep.equal(["a1:start", "a1:end", "a2:start", "a2:end", "a3:start", "a3:end"]);
    expect(maxInFlight).to.equal(1);
    expect(other).to.deep.equal(["b while a has 1 in flight"]); // not queued behind account a
  });

  it("a failure reaches its own caller and does not stop the next send", async () => {
    const first = inAccountOrder("0x1", async () => {
      await tick(5);
      throw new Error("nonce too low");
    });
    const second = inAccountOrder("0x1", async () => "sent");
    const [a, b] = await Promise.allSettled([first, second]);
    expect(a.status === "rejected" && (a.reason as Error).message).to.equal("nonce too low");
    expect(b.status === "fulfilled" && b.value).to.equal("sent");
  });
});
