import { expect } from "chai";
import { HDNodeWallet, Mnemonic } from "ethers";
import { configVariable } from "hardhat/config";

import { accountPrivateKey } from "../../src/chain/account-key.js";

import { expectFlaiError } from "../helpers/assert.js";
import { tempProject } from "../helpers/project.js";

// Public test keys only (Hardhat's dev mnemonic and made-up keys).
const DEV_MNEMONIC = "test test test test test test test test test test test junk";
const KEY_A = "0x" + "a1".repeat(32);
const KEY_B = "0x" + "b2".repeat(32);
const OTHER_MNEMONIC = "legal winner thank year wave sausage worth useful legal winner thank yellow";
const VARIABLE = "FLAI_ACCOUNT_KEY_TEST";

describe("chain/account-key: accountPrivateKey", function () {
  this.timeout(60_000);

  it("reads the in-process network's dev accounts (Hardhat's default mnemonic)", async () => {
    const { hre } = await tempProject();
    const connection = await hre.network.create();
    for (const index of [0, 3]) {
      const want = HDNodeWallet.fromMnemonic(Mnemonic.fromPhrase(DEV_MNEMONIC), `m/44'/60'/0'/0/${index}`).privateKey;
      expect(await accountPrivateKey(connection, index)).to.equal(want);
    }
  });

  it("reads a key list, literal or from a config variable", async () => {
    process.env[VARIABLE] = KEY_B;
    try {
      const { hre } = await tempProject({
        networks: { remote: { type: "http", url: "http://127.0.0.1:9", accounts: [KEY_A, configVariable(VARIABLE)] } },
      });
      const connection = await hre.network.create("remote");
      expect(await accountPrivateKey(connection, 0)).to.equal(KEY_A);
      expect(await accountPrivateKey(connection, 1)).to.equal(KEY_B);
      await expectFlaiError(() => accountPrivateKey(connection, 2), 'Network "remote" has no account #2 configured');
    } finally {
      delete process.env[VARIABLE];
    }
  });

  it("derives from a configured mnemonic, path and initial index", async () => {
    const { hre } = await tempProject({
      networks: {
        remote: { type: "http", url: "http://127.0.0.1:9", accounts: { mnemonic: OTHER_MNEMONIC, initialIndex: 2 } },
      },
    });
    const connection = await hre.network.create("remote");
    const want = HDNodeWallet.fromMnemonic(Mnemonic.fromPhrase(OTHER_MNEMONIC), "m/44'/60'/0'/0/3").privateKey;
    expect(await accountPrivateKey(connection, 1)).to.equal(want);
  });
});
