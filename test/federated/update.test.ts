import { expect } from "chai";

import { decodeUpdate, encodeUpdate, validateUpdate, type ClientUpdate } from "../../src/federated/update.js";
import { gaussian, mulberry32 } from "../../src/util/prng.js";

import { expectFlaiError } from "../helpers/assert.js";

const SOURCE = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8";
const HASH = "0x" + "ab".repeat(32);

function sample(dimension = 21, seed = 1): ClientUpdate {
  const normal = gaussian(mulberry32(seed));
  const delta = new Float64Array(dimension);
  for (let i = 0; i < dimension; i++) delta[i] = normal();
  delta[0] = -0; // sign of zero and extreme magnitudes must survive
  delta[1] = Number.MIN_VALUE;
  delta[2] = -Number.MAX_VALUE;
  return { delta, numExamples: 123, metrics: { loss: 0.4321, accuracy: 0.875 }, baseModelHash: HASH };
}

/** Re-encodes with a header edited by `edit` (the body kept), to reach decode's checks. */
function withHeader(u: ClientUpdate, edit: (h: Record<string, unknown>) => void): Uint8Array {
  const bytes = encodeUpdate(u);
  const headerLength = new DataView(bytes.buffer).getUint32(0, true);
  const header = JSON.parse(Buffer.from(bytes.subarray(4, 4 + headerLength)).toString()) as Record<string, unknown>;
  edit(header);
  const text = Buffer.from(JSON.stringify(header));
  const padded = Math.ceil((4 + text.length) / 8) * 8 - 4;
  const out = Buffer.alloc(4 + padded, 0x20);
  out.writeUInt32LE(padded, 0);
  text.copy(out, 4);
  return Buffer.concat([out, bytes.subarray(4 + headerLength)]);
}

describe("fedavg/update", () => {
  it("round-trips bit for bit", () => {
    const u = sample();
    const back = decodeUpdate(encodeUpdate(u), SOURCE);
    expect(Buffer.from(back.delta.buffer, back.delta.byteOffset, back.delta.byteLength).equals(Buffer.from(u.delta.buffer))).to.equal(true);
    expect(Object.is(back.delta[0], -0)).to.equal(true);
    expect(back.numExamples).to.equal(123);
    expect(back.metrics).to.deep.equal(u.metrics);
    expect(back.baseModelHash).to.equal(HASH);
  });

  it("aligns the body to 8 bytes and decodes from an unaligned copy too", () => {
    const bytes = encodeUpdate(sample(5));
    const headerLength = new DataView(bytes.buffer).getUint32(0, true);
    expect((4 + headerLength) % 8).to.equal(0);
    expect(bytes.length).to.equal(4 + headerLength + 5 * 8);
    const shifted = new Uint8Array(bytes.length + 3);
    shifted.set(bytes, 3);
    const back = decodeUpdate(shifted.subarray(3), SOURCE);
    expect(Array.from(back.delta)).to.deep.equal(Array.from(sample(5).delta));
  });

  it("decodes from parts split anywhere, into shared memory on request, bit for bit", () => {
    const bytes = encodeUpdate(sample(301));
    const want = Buffer.from(bytes);
    for (const cuts of [[1], [3, 4, 5], [17, 300], [bytes.length - 1], [8, 8, 8]]) {
      const parts: Uint8Array[] = [];
      let at = 0;
      for (const cut of cuts) {
        parts.push(bytes.subarray(at, cut));
        at = cut;
      }
      parts.push(bytes.subarray(at));
      for (const shared of [false, true]) {
        const back = decodeUpdate(parts, SOURCE, { shared });
        expect(back.delta.buffer instanceof SharedArrayBuffer).to.equal(shared);
        const body = Buffer.from(back.delta.buffer, back.delta.byteOffset, back.delta.byteLength);
        expect(body.equals(want.subarray(want.length - 301 * 8)), `cuts ${cuts} shared ${shared}`).to.equal(true);
      }
    }
    const whole = decodeUpdate(bytes, SOURCE, { shared: true });
    expect(whole.delta.buffer instanceof SharedArrayBuffer).to.equal(true);
    expect(Array.from(whole.delta)).to.deep.equal(Array.from(sample(301).delta));
  });

  it("names the sender and index of a non-finite value", async () => {
    for (const [bad, text] of [
      [NaN, "NaN"],
      [Infinity, "Infinity"],
      [-Infinity, "-Infinity"],
    ] as const) {
      const bytes = encodeUpdate(sample());
      new DataView(bytes.buffer).setFloat64(bytes.length - (21 - 17) * 8, bad, true);
      await expectFlaiError(() => decodeUpdate(bytes, SOURCE), `update from ${SOURCE} contains ${text} at index 17`);
    }
  });

  it("refuses to encode a non-finite delta", async () => {
    const u = sample();
    u.delta[3] = NaN;
    await expectFlaiError(() => encodeUpdate(u), "NaN at index 3");
  });

  it("rejects a numExamples that is not a positive integer", async () => {
    for (const count of [0, -5, 1.5, "12", null]) {
      const bytes = withHeader(sample(), (h) => (h.numExamples = count));
      await expectFlaiError(() => decodeUpdate(bytes, SOURCE), SOURCE, "numExamples", "positive integer");
    }
    await expectFlaiError(() => encodeUpdate({ ...sample(), numExamples: 0 }), "numExamples");
  });

  it("rejects malformed bytes", async () => {
    const good = encodeUpdate(sample());
    await expectFlaiError(() => decodeUpdate(new Uint8Array(2), SOURCE), "malformed", SOURCE);
    await expectFlaiError(() => decodeUpdate(good.subarray(0, good.length - 8), SOURCE), "malformed", "declares 21 values");
    const longHeader = Uint8Array.from(good);
    new DataView(longHeader.buffer).setUint32(0, 1 << 30, true);
    await expectFlaiError(() => decodeUpdate(longHeader, SOURCE), "malformed", "header length");
    const garbage = Uint8Array.from(good);
    garbage[5] = 0x7b; // "{" inside the JSON
    await expectFlaiError(() => decodeUpdate(garbage, SOURCE), "malformed", "JSON");
    await expectFlaiError(
      () =>
        decodeUpdate(
          withHeader(sample(), (h) => (h.format = "other/v9")),
          SOURCE,
        ),
      "malformed",
      "other/v9",
    );
    await expectFlaiError(
      () =>
        decodeUpdate(
          withHeader(sample(), (h) => delete h.metrics),
          SOURCE,
        ),
      "malformed",
      "metrics",
    );
    await expectFlaiError(
      () =>
        decodeUpdate(
          withHeader(sample(), (h) => (h.baseModelHash = "0x12")),
          SOURCE,
        ),
      "baseModelHash",
    );
    await expectFlaiError(
      () =>
        decodeUpdate(
          withHeader(sample(), (h) => (h.metrics = { loss: 0.1, accuracy: 2 })),
          SOURCE,
        ),
      "metrics.accuracy",
    );
  });

  it("validateUpdate names both dimensions on a mismatch", async () => {
    const u = sample(11);
    validateUpdate(u, 11, SOURCE);
    await expectFlaiError(() => validateUpdate(u, 21, SOURCE), SOURCE, "11 values", "has 21", "20 features");
    await expectFlaiError(() => validateUpdate(u, 63, SOURCE, 3), SOURCE, "11 values", "has 63", "3 classes × (20 features + bias)");
  });
});
