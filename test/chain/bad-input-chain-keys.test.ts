import { expect } from "chai";
import { configVariable } from "hardhat/config";

import { useConnection } from "../../src/chain/connection.js";
import { privateKeyProblem } from "../../src/chain/private-key.js";

import { expectFlaiError } from "../helpers/assert.js";
import { tempProject } from "../helpers/project.js";

// Issue 15: a 63-hex-digit key silently became another account, and an all-zero key was a stack
// trace. A network's key is checked when the connection is made; the error never shows the key.
const VARIABLE = "FLAI_TEST_BAD_KEY";
const GOOD = "0x" + "11".repeat(32);

/** A project whose `remote` network (nothing listening: no request is ever sent) takes its key from VARIABLE. */
async function connectWith(key: string) {
  process.env[VARIABLE] = key;
  const { hre } = await tempProject(
    { networks: { remote: { type: "http", url: "http://127.0.0.1:9", accounts: [configVariable(VARIABLE)] } } },
    { network: "remote" },
  );
  return useConnection(hre);
}

describe("bad input (issue 15): private keys are 32 bytes or refused, never shown", function () {
  after(() => {
    delete process.env[VARIABLE];
  });

  it("a 63-hex-digit key is refused (it used to sign as another account), naming the variable, not the key", async () => {
    const key = "ab".repeat(31) + "c";
    const error = await expectFlaiError(() => connectWith(key), VARIABLE, "networks.remote.accounts[0]", "63 hex digits, not 64");
    expect(error.message).to.not.contain(key);
    expect(error.message).to.not.contain("abababab");
  });

  it("an all-zero key and one beyond the curve order are refused, not a stack trace", async () => {
    await expectFlaiError(() => connectWith("0x" + "0".repeat(64)), VARIABLE, "it is zero");
    await expectFlaiError(() => connectWith("f".repeat(64)), VARIABLE, "secp256k1 group order");
  });

  it("a key with a non-hex character or a 65th digit is refused without echoing it", async () => {
    const withG = "0x" + "12".repeat(31) + "1g";
    const error = await expectFlaiError(() => connectWith(withG), "not hex digits", "66 characters");
    expect(error.message).to.not.contain("1212");
    await expectFlaiError(() => connectWith("0x" + "12".repeat(32) + "3"), "65 hex digits");
  });

  it("a well-formed key, with or without 0x, connects", async () => {
    expect((await connectWith(GOOD)).networkName).to.equal("remote");
    expect((await connectWith(GOOD.slice(2))).networkName).to.equal("remote");
    expect(privateKeyProblem("0x" + "fe".repeat(32))).to.equal(undefined);
  });
});
