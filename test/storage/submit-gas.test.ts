import assert from "node:assert/strict";
import path from "node:path";
import { startStorageDevnet } from "../../src/devnet/storage-devnet.js";
import { zeroGStorageFor } from "../../src/storage/create.js";
import { submitGasLimit } from "../../src/storage/submit-gas.js";
import { seededBytes } from "../../src/util/prng.js";
import { federatedFixture } from "../helpers/federated.js";
import { tempDir } from "../helpers/project.js";

describe("0G uploads: Flow.submit gas headroom (found by the soak test)", function () {
  this.timeout(120_000);

  it("gives the estimate at least 30,000 gas, or half of it, more", () => {
    assert.equal(submitGasLimit(56_262n), 86_262n);
    assert.equal(submitGasLimit(100_000n), 150_000n);
  });

  // Without headroom, a submission estimated before another one was mined writes fresh storage
  // slots and runs out of gas at its exact estimate: 5 of 48 uploads reverted (paid, not stored).
  it("48 uploads from 8 accounts at once: every one is stored, no submission reverts", async () => {
    const fx = await federatedFixture({ holdout: 21, split: 22 }, 5);
    const devnet = await startStorageDevnet(fx.connection, { dir: path.join(await tempDir(), "devnet") });
    try {
      const config = {
        ...fx.hre.config.flai,
        storage: { ...fx.hre.config.flai.storage, backend: "0g" as const, timeoutSeconds: 10, retries: 2 },
      };
      const storage = await zeroGStorageFor(fx.connection, config, { indexerUrl: devnet.url });
      const payers = fx.signers.slice(10, 18);
      const provider = fx.connection.ethers.provider;
      const first = (await provider.getBlockNumber()) + 1;
      for (let batch = 0; batch < 6; batch++) {
        const sizes = payers.map((_, k) => 1000 + (((batch * 8 + k) * 7919) % 700_000));
        const results = await Promise.allSettled(
          payers.map((payer, k) => storage.upload(seededBytes(sizes[k]!, 100 * batch + k), { payer })),
        );
        const failed = results.flatMap((r) => (r.status === "rejected" ? [String(r.reason)] : []));
        assert.deepEqual(failed, [], `batch ${batch}`);
      }
      for (let n = first; n <= (await provider.getBlockNumber()); n++) {
        for (const hash of (await provider.getBlock(n))!.transactions) {
          assert.equal((await provider.getTransactionReceipt(hash))!.status, 1, `transaction ${hash} in block ${n} reverted`);
        }
      }
    } finally {
      await devnet.close();
    }
  });
});
