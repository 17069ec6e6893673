import { expect } from "chai";

import { EXCERPT_LIMIT, excerpt } from "../../src/util/excerpt.js";

describe("excerpt: what an error shows of user data", () => {
  it("quotes short values whole", () => {
    expect(excerpt("abc")).to.equal('"abc"');
    expect(excerpt(12.5)).to.equal('"12.5"');
    expect(excerpt("a\tb")).to.equal('"a\\tb"');
  });

  it("cuts long values and names their length", () => {
    const shown = excerpt("x".repeat(5_000_000));
    expect(shown.length).to.be.below(EXCERPT_LIMIT + 40);
    expect(shown).to.match(/… \(5000000 characters\)$/);
  });

  it("hides 64-hex-digit runs (private keys), with or without 0x, keeping their ends", () => {
    const key = "0x" + "ab12".repeat(16);
    const shown = excerpt(`key ${key} here`, 200);
    expect(shown).to.not.include("ab12ab12ab12");
    expect(shown).to.include("0xab12…ab12 (64 hex digits, hidden)");
    expect(excerpt("cd34".repeat(16), 200)).to.not.include("cd34cd34");
  });

  it("leaves other hex lengths alone (addresses, short ids)", () => {
    const address = "0x" + "1".repeat(40);
    expect(excerpt(address, 200)).to.equal(JSON.stringify(address));
    expect(excerpt("f".repeat(65), 200)).to.equal(JSON.stringify("f".repeat(65)));
  });

  it("never splits a character in two", () => {
    const shown = excerpt("😀".repeat(100), 5);
    const quoted = shown.slice(0, shown.indexOf("…"));
    expect(JSON.parse(quoted)).to.equal("😀😀");
    expect(shown).to.match(/\(200 characters\)$/);
  });
});
