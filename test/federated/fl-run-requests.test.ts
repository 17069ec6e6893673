import { expect } from "chai";

import { countFlRunRequests, type RpcCounts } from "../helpers/rpc-count.js";

/**
 * The chain round trips of an fl-run on the in-process chain, by phase (issue 14). A transaction
 * through Hardhat's signer is 6 requests whatever sends it (block number, send, Hardhat's gas estimate
 * and fee history, the transaction, its receipt); everything else an update or a claim sends is a
 * read the protocol needs. These pin the reads, so a change that adds a round trip per client fails here.
 */
describe("fl-run: JSON-RPC requests per update and per claim", function () {
  this.timeout(300_000);

  const CLIENTS = 3;
  const ROUNDS = 2;
  let counts: RpcCounts;
  before(async () => {
    counts = await countFlRunRequests(CLIENTS, ROUNDS);
  });

  const per = (phase: keyof RpcCounts["byPhase"], method: string, n: number) => (counts.byPhase[phase][method] ?? 0) / n;

  it("an update reads the task, its round, its record, the enclave's registration (3 calls) and the chain's clock twice, then sends one transaction", () => {
    const updates = CLIENTS * ROUNDS;
    // A given signer is used as is: the network's accounts are not listed again for every update.
    expect(per("update", "eth_accounts", updates)).to.equal(0);
    expect(per("update", "eth_chainId", updates)).to.equal(0);
    expect(per("update", "eth_call", updates)).to.equal(6);
    expect(per("update", "eth_getBlockByNumber", updates)).to.equal(2);
    for (const method of ["eth_estimateGas", "eth_sendTransaction", "eth_getTransactionReceipt"]) {
      expect(per("update", method, updates), method).to.equal(1);
    }
    // The registration event is looked up once per process (each client of the first concurrent batch may miss the cache).
    expect(counts.byPhase.update.eth_getLogs ?? 0).to.be.at.most(CLIENTS);
  });

  it("a client's claims read the task once, every round and the client's record in it once, and the finalized rounds' events once", () => {
    const claims = CLIENTS * ROUNDS;
    expect(per("claim", "eth_accounts", claims)).to.equal(0);
    expect(per("claim", "eth_chainId", claims)).to.equal(0);
    // Per client: getTask, then getRound and getUpdate for each round.
    expect(per("claim", "eth_call", CLIENTS)).to.equal(1 + 2 * ROUNDS);
    expect(per("claim", "eth_getLogs", CLIENTS)).to.equal(1);
    expect(per("claim", "eth_sendTransaction", claims)).to.equal(1);
    expect(per("claim", "eth_getTransactionReceipt", claims)).to.equal(1);
    expect(counts.perClaim).to.equal(6 + (2 + 2 * ROUNDS) / ROUNDS);
  });
});
