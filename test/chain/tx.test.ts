import { expect } from "chai";
import { Contract, JsonRpcProvider, Wallet } from "ethers";

import { sendTx } from "../../src/chain/tx.js";

import { expectFlaiError } from "../helpers/assert.js";
import { freePort } from "../helpers/net.js";

describe("tx: sending a transaction", () => {
  it("a chain that cannot be reached is a plugin error naming the call, the contract and what to check", async () => {
    const port = await freePort(); // nothing listens there
    const provider = new JsonRpcProvider(`http://127.0.0.1:${port}`, 31337, { staticNetwork: true });
    const signer = Wallet.createRandom().connect(provider);
    const contract = new Contract("0x5FbDB2315678afecb367f032d93F642f64180aa3", ["function finalizeRound(uint256 taskId)"], signer);
    try {
      const error = await expectFlaiError(
        () => sendTx(contract, "FLAIFederated", "finalizeRound", [1n]),
        "Sending finalizeRound to FLAIFederated at 0x5FbDB2315678afecb367f032d93F642f64180aa3 failed",
        "RPC is reachable",
        "look there before retrying",
      );
      expect(error.message).to.not.contain("\n    at ");
    } finally {
      provider.destroy();
    }
  });
});
