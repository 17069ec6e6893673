import { expect } from "chai";
import type { Provider } from "ethers";

import { feeOverrides, legacyGasPrice } from "../../src/chain/fee-data.js";
import { policyFees, policyGasPrice } from "../../src/chain/fees.js";

const GALILEO = 16602n;
const GWEI = 1_000_000_000n;

/**
 * A provider whose answers wait until the test releases them: it shows which requests a caller has
 * in flight at once. Answers are what a Galileo node says (a 1 wei tip suggestion: see fees.ts).
 */
function heldProvider(answers: { baseFeePerGas: bigint | null; gasPrice?: bigint; tip?: bigint }) {
  const pending: Array<{ what: string; release: () => void }> = [];
  const hold = <T>(what: string, value: () => T) =>
    new Promise<T>((resolve, reject) =>
      pending.push({
        what,
        release: () => {
          try {
            resolve(value());
          } catch (error) {
            reject(error);
          }
        },
      }),
    );
  const provider = {
    getNetwork: async () => ({ chainId: GALILEO }),
    getBlock: (tag: string) => hold(`getBlock(${tag})`, () => ({ baseFeePerGas: answers.baseFeePerGas })),
    send: (method: string) =>
      hold(method, () => {
        const value = method === "eth_gasPrice" ? answers.gasPrice : method === "eth_maxPriorityFeePerGas" ? answers.tip : undefined;
        if (value === undefined) throw new Error(`the method ${method} does not exist`);
        return "0x" + value.toString(16);
      }),
    getFeeData: () => {
      throw new Error("getFeeData is three round trips in a row; not used");
    },
  } as unknown as Provider;
  return { provider, pending };
}

/** Lets every already-resolved step run, so the caller gets as far as it can without answers. */
const settle = () => new Promise((resolve) => setImmediate(resolve));

describe("fee data: the chain's fee suggestions in one round trip", () => {
  it("a 0G chain: the latest block, eth_gasPrice and eth_maxPriorityFeePerGas are all in flight at once, and give the policy's fees", async () => {
    const { provider, pending } = heldProvider({ baseFeePerGas: 7n * GWEI, gasPrice: 8n * GWEI, tip: 1n });
    const fees = feeOverrides(provider);
    await settle();
    expect(pending.map((p) => p.what).sort()).to.deep.equal(["eth_gasPrice", "eth_maxPriorityFeePerGas", "getBlock(latest)"]);
    for (const p of pending.splice(0)) p.release();
    expect(await fees).to.deep.equal(policyFees(GALILEO, { baseFeePerGas: 7n * GWEI, suggestedTip: 1n, suggestedGasPrice: 8n * GWEI }));
    expect(await fees).to.include({ maxPriorityFeePerGas: 2n * GWEI });
  });

  it("a node without eth_maxPriorityFeePerGas gets getFeeData's 1 gwei suggestion, raised to the floor; a chain without a base fee gets a legacy price", async () => {
    const noTip = heldProvider({ baseFeePerGas: 7n * GWEI, gasPrice: 8n * GWEI });
    const fees = feeOverrides(noTip.provider);
    await settle();
    for (const p of noTip.pending.splice(0)) p.release();
    expect(await fees).to.deep.equal(policyFees(GALILEO, { baseFeePerGas: 7n * GWEI, suggestedTip: GWEI, suggestedGasPrice: 8n * GWEI }));

    const legacy = heldProvider({ baseFeePerGas: null, gasPrice: 3n * GWEI });
    const price = legacyGasPrice(legacy.provider);
    await settle();
    expect(legacy.pending).to.have.length(3);
    for (const p of legacy.pending.splice(0)) p.release();
    expect(await price).to.equal(policyGasPrice(GALILEO, { baseFeePerGas: null, suggestedTip: null, suggestedGasPrice: 3n * GWEI }));
  });
});
