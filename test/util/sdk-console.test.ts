import { expect } from "chai";

import { recentSdkLines, silence } from "../../src/util/sdk-console.js";

describe("util/sdk-console", () => {
  it("keeps the SDK's recent lines short enough for the one error line that quotes three of them", () => {
    const release = silence();
    try {
      for (const c of "abc") console.log(c.repeat(500));
    } finally {
      release();
    }
    const lines = recentSdkLines();
    expect(lines.map((l) => l[0])).to.deep.equal(["a", "b", "c"]);
    for (const line of lines) expect(line).to.match(/^(.)\1{119}…$/);
    expect(lines.join(" | ").length).to.be.at.most(400);
  });
});
