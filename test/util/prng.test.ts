import { createCipheriv } from "node:crypto";

import { expect } from "chai";

import { keyedUniform } from "../../src/util/prng.js";

describe("util/prng keyedUniform", () => {
  const key = new Uint8Array(32).map((_, i) => i * 7 + 1);

  it("is the AES-256-CTR keystream read as 53-bit fractions, across keystream block refills", () => {
    const draws = 20_000; // 8,192 per 64 KiB refill: crosses two refills
    const stream = createCipheriv("aes-256-ctr", key, new Uint8Array(16)).update(new Uint8Array(draws * 8));
    const rand = keyedUniform(key);
    for (let i = 0; i < draws; i++) {
      const want = ((stream.readUInt32BE(8 * i) >>> 5) * 2 ** 26 + (stream.readUInt32BE(8 * i + 4) >>> 6)) / 2 ** 53;
      const got = rand();
      if (got !== want) expect.fail(`draw ${i}: got ${got}, expected ${want}`);
    }
  });

  it("lies in [0, 1), is uniform to sampling error, and depends on the key", () => {
    const n = 100_000;
    const rand = keyedUniform(key);
    const bins = new Array<number>(10).fill(0);
    let sum = 0;
    for (let i = 0; i < n; i++) {
      const u = rand();
      expect(u >= 0 && u < 1).to.equal(true);
      sum += u;
      bins[Math.floor(u * 10)]!++;
    }
    expect(sum / n).to.be.closeTo(0.5, 5 * Math.sqrt(1 / 12 / n));
    for (const count of bins) expect(count).to.be.closeTo(n / 10, 5 * Math.sqrt(n * 0.1 * 0.9));
    const three = (r: () => number) => [r(), r(), r()];
    expect(three(keyedUniform(key))).to.deep.equal(three(keyedUniform(key)));
    expect(three(keyedUniform(new Uint8Array(32)))).to.not.deep.equal(three(keyedUniform(key)));
  });

  it("explains a key of the wrong size", () => {
    expect(() => keyedUniform(new Uint8Array(16))).to.throw(RangeError, "32-byte key, got 16 bytes");
  });
});
