import { expect } from "chai";

import { runAggregation, type AggregateResponse } from "../../src/federated/aggregator.js";

import { aggregateRequest } from "../helpers/aggregate-request.js";

// runAggregation({ consume: true }) is what the enclave worker runs on its own copy of the request
// (aggregator-worker.ts): it drops the evaluation set's bytes once parsed and each ciphertext once
// opened (bench/e2e/memory.ts). The round's result must be the same bytes either way.

describe("fedavg: the enclave worker drops a request's bytes as it uses them", function () {
  this.timeout(60_000);

  /** Round 1 of a fresh task with 3 honest updates and a 4th sealed for round 2 (the enclave cannot open it for round 1). */
  const round = () => aggregateRequest({ clients: 4, sealedFor: (i) => (i === 3 ? 2 : 1) });

  const bytesOf = (r: AggregateResponse) => ({
    model: Buffer.from(r.globalModel).toString("hex"),
    report: Buffer.from(r.report).toString("hex"),
    signature: r.signature,
    result: r.result,
  });

  it("gives the same model, report and signature with and without consume, and drops only what it used", async () => {
    const request = await round();
    const kept = request();
    const plain = await runAggregation(kept);
    const consumed = request();
    const dropped = await runAggregation(consumed, { consume: true });

    expect(bytesOf(dropped)).to.deep.equal(bytesOf(plain));
    expect(dropped.accepted.map((a) => a.client)).to.deep.equal(plain.accepted.map((a) => a.client));
    expect(dropped.rejected.map((r) => r.code)).to.deep.equal(["envelope"]);

    // Without consume the caller's request is left as it was.
    expect(kept.evaluation).to.be.instanceOf(Uint8Array);
    expect(kept.updates.every((u) => u.ciphertext instanceof Uint8Array)).to.equal(true);
    // With it: the evaluation set's bytes and every opened ciphertext are gone; the one that could
    // not be opened is left (the host's bytes, named in the rejection).
    expect(consumed.evaluation).to.equal(null);
    expect(consumed.updates.map((u) => u.ciphertext === null)).to.deep.equal([true, true, true, false]);
  });
});
