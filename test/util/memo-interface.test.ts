import { expect } from "chai";
import { AbiCoder, Interface } from "ethers";

import { loadFlaiArtifact } from "../../src/chain/artifact.js";
import { argumentsKey, memoInterface } from "../../src/util/memo-interface.js";

/** The remembered encodings and decodings equal ethers' own, and a new argument or answer is never served an old one. */
describe("MemoInterface: ethers' calldata and results, remembered", () => {
  const abi = loadFlaiArtifact("FLAIFederated").abi;
  const plain = Interface.from(abi);

  it("encodes every call as ethers does, each argument list on its own", () => {
    const memo = memoInterface(abi);
    for (const args of [
      [1n, 1],
      [1n, 2],
      [2n, 1],
      [1n, 1],
    ] as const) {
      expect(memo.encodeFunctionData("getRound", args)).to.equal(plain.encodeFunctionData("getRound", args));
    }
    const getUpdate = memo.getFunction("getUpdate")!;
    const a = "0x" + "11".repeat(20);
    const b = "0x" + "22".repeat(20);
    expect(memo.encodeFunctionData(getUpdate, [1n, 1, a])).to.equal(plain.encodeFunctionData("getUpdate", [1n, 1, a]));
    expect(memo.encodeFunctionData(getUpdate, [1n, 1, b])).to.equal(plain.encodeFunctionData("getUpdate", [1n, 1, b]));
    const proof = ["0x" + "aa".repeat(32), "0x" + "bb".repeat(32)];
    const claim = [1n, 2, "0x" + "cc".repeat(32), 3n, 4n, proof];
    expect(memo.encodeFunctionData("claim", claim)).to.equal(plain.encodeFunctionData("claim", claim));
    expect(memo.encodeFunctionData("claim", [...claim.slice(0, 5), proof.slice(0, 1)])).to.equal(
      plain.encodeFunctionData("claim", [...claim.slice(0, 5), proof.slice(0, 1)]),
    );
  });

  it("decodes as ethers does; the same bytes give the same (frozen) Result, other bytes a new one", () => {
    const memo = memoInterface(abi);
    const coder = AbiCoder.defaultAbiCoder();
    const one = coder.encode(["uint64", "bool"], [5n, false]);
    const two = coder.encode(["uint64", "bool"], [6n, true]);
    const first = memo.decodeFunctionResult("getUpdate", one);
    expect(first.toArray()).to.deep.equal(plain.decodeFunctionResult("getUpdate", one).toArray());
    expect(memo.decodeFunctionResult("getUpdate", one)).to.equal(first);
    expect(Object.isFrozen(first)).to.equal(true);
    expect(memo.decodeFunctionResult("getUpdate", two).toArray()).to.deep.equal([6n, true]);
  });

  it("decodes event logs as ethers does, telling logs apart by their topics as well as their data", () => {
    const memo = memoInterface(abi);
    const a = "0x" + "11".repeat(20);
    const b = "0x" + "22".repeat(20);
    const logA = plain.encodeEventLog("RewardClaimed", [1n, 2, a, 7n]);
    const logB = plain.encodeEventLog("RewardClaimed", [1n, 2, b, 7n]);
    expect(logA.data).to.equal(logB.data); // only the indexed client differs
    const first = memo.decodeEventLog("RewardClaimed", logA.data, logA.topics);
    expect(first.toArray()).to.deep.equal(plain.decodeEventLog("RewardClaimed", logA.data, logA.topics).toArray());
    expect(memo.decodeEventLog("RewardClaimed", logA.data, logA.topics)).to.equal(first);
    // parseLog (what ethers' receipts and queryFilter use) goes through the same memo, by fragment.
    expect(memo.parseLog(logA)!.args).to.equal(memo.parseLog(logA)!.args);
    expect(memo.parseLog(logA)!.args.toArray()).to.deep.equal(first.toArray());
    expect(memo.decodeEventLog("RewardClaimed", logB.data, logB.topics).toArray()).to.deep.equal([1n, 2n, b, 7n]);
  });

  it("remembers no revert: reverted data throws every time", () => {
    const memo = memoInterface(abi);
    // Error("no"): 4-byte selector + ABI string, what a reverted eth_call returns.
    const revert = "0x08c379a0" + AbiCoder.defaultAbiCoder().encode(["string"], ["no"]).slice(2);
    expect(() => memo.decodeFunctionResult("getTask", revert)).to.throw();
    expect(() => memo.decodeFunctionResult("getTask", revert)).to.throw();
  });

  it("keys only plain values: a struct or an object argument goes straight to ethers", () => {
    expect(argumentsKey([1n, 1, "0xab", true, ["0x01", 2n]])).to.equal('1n,1,"0xab",true,["0x01",2n]');
    expect(argumentsKey([1n, { root: "0x" }])).to.equal(undefined);
    expect(argumentsKey([new Uint8Array(1)])).to.equal(undefined);
    // Distinct argument lists never share a key.
    expect(argumentsKey(["1"])).to.not.equal(argumentsKey([1]));
    expect(argumentsKey([["a", "b"]])).to.not.equal(argumentsKey(["a", "b"]));
    expect(argumentsKey(['a","b'])).to.not.equal(argumentsKey(["a", "b"]));
  });
});
