import { expect } from "chai";

import { Ui } from "../../src/ui.js";

// src/ui.ts: with --json, stdout is one JSON document, so lines are dropped; a warning still reaches
// the user, on stderr.
describe("ui: warnings with and without --json", () => {
  function captured(json: boolean) {
    const out: string[] = [];
    const err: string[] = [];
    const warn = console.warn;
    console.warn = (line: string) => err.push(line);
    try {
      const ui = new Ui({ json, out: (line) => out.push(line), tty: false });
      ui.line("a line");
      ui.warn("Warning: --clip is deprecated; use --clipping-norm (it was read as --clipping-norm).");
      ui.result({ ok: true });
    } finally {
      console.warn = warn;
    }
    return { out, err };
  }

  it("without --json a warning is a line of output like any other", () => {
    const { out, err } = captured(false);
    expect(out).to.deep.equal(["a line", "Warning: --clip is deprecated; use --clipping-norm (it was read as --clipping-norm)."]);
    expect(err).to.deep.equal([]);
  });

  it("with --json stdout holds only the JSON result and the warning goes to stderr", () => {
    const { out, err } = captured(true);
    expect(out).to.have.length(1);
    expect(JSON.parse(out[0]!)).to.deep.equal({ ok: true });
    expect(err).to.deep.equal(["Warning: --clip is deprecated; use --clipping-norm (it was read as --clipping-norm)."]);
  });
});
