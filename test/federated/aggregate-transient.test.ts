// Issue 15, found by the soak: an update the storage holds but cannot serve for a moment (a dropped
// connection, a node restarting) must not reach the enclave as "unavailable". The enclave commits to
// the first update set it aggregates, so such a read made a round with more updates than its quorum
// finalize without an honest client, and a round at its quorum never finalize (update-set-changed).
import path from "node:path";

import { expect } from "chai";

import { flaiError } from "../../src/errors.js";
import type { StorageBackend } from "../../src/storage/types.js";

import { expectFlaiError } from "../helpers/assert.js";
import { federatedFixture, submitAll, type FederatedFixture, readersOf } from "../helpers/federated.js";
import { FIXTURES } from "../helpers/project.js";

/** `inner`, except that the first read of an update (not the model or the evaluation set) fails as a dropped connection would. */
function failingOnce(inner: StorageBackend, spared: readonly string[]): StorageBackend {
  let failed = false;
  return {
    kind: inner.kind,
    upload: (input, opts) => inner.upload(input, opts),
    download: (root, dest, opts) => inner.download(root, dest, opts),
    has: (root) => inner.has(root),
    read: async (root, opts?: unknown) => {
      if (!failed && !spared.includes(root)) {
        failed = true;
        throw flaiError(`0G Storage failed while downloading ${root}: read ECONNRESET`);
      }
      return (inner.read as (root: string, opts?: unknown) => Promise<Uint8Array>)(root, opts);
    },
  };
}

describe("fedavg aggregate: an update that cannot be read for a moment (issue 15)", function () {
  this.timeout(120_000);
  let fx: FederatedFixture;

  before(async () => {
    fx = await federatedFixture({ holdout: 31, split: 32 }, 4);
  });

  for (const [quorum, maxClients] of [
    [4, 4],
    [3, 4],
  ] as const) {
    it(`quorum ${quorum}, ${maxClients} updates: the aggregation stops, nothing is committed, and the next one accepts all ${maxClients}`, async () => {
      const { task } = await fx.hre.flai.fedavg.createTask({
        model: path.join(FIXTURES, "model.json"),
        evaluation: fx.evaluation,
        standardizeOn: fx.shares[0]!,
        rounds: 1,
        quorum,
        maxClients,
        reward: "1",
        clients: await readersOf(fx.hre, fx.connection, fx.signers.slice(1, 1 + maxClients)),
        connection: fx.connection,
      });
      await submitAll(fx, task.id, maxClients);
      const flaky = failingOnce(fx.hre.flai.storage, [task.globalRoot, fx.evaluation]);
      await expectFlaiError(
        () => fx.hre.flai.withStorage(flaky).fedavg.aggregate({ taskId: task.id, connection: fx.connection }),
        "is in storage but could not be read now",
        "ECONNRESET",
        "Run the aggregation again",
      );
      const agg = await fx.hre.flai.fedavg.aggregate({ taskId: task.id, connection: fx.connection });
      expect(agg.accepted).to.have.length(maxClients);
      expect((await fx.hre.flai.fedavg.task(task.id, { connection: fx.connection })).status).to.equal("finished");
    });
  }
});
