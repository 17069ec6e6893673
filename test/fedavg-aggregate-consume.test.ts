import { createHash } from "node:crypto";

import { expect } from "chai";
import { getAddress } from "ethers";

import { updatesAccumulator } from "../src/fedavg/accumulator.js";
import { runAggregation, type AggregateRequest, type AggregateResponse } from "../src/fedavg/aggregator.js";
import { sealUpdate } from "../src/fedavg/envelope.js";
import { globalModelBytes, taskNonce, type GlobalModel } from "../src/fedavg/global-model.js";
import { resolveRules } from "../src/fedavg/round-rules.js";
import { datasetJson } from "../src/fedavg/simulation.js";
import { encodeUpdate } from "../src/fedavg/update.js";
import { computeRoot } from "../src/storage/merkle.js";
import { loadOrCreateIdentity } from "../src/tee/identity.js";
import { mulberry32 } from "../src/util/prng.js";

import { tempDir } from "./helpers/project.js";

// runAggregation({ consume: true }) is what the enclave worker runs on its own copy of the request
// (aggregator-worker.ts): it drops the evaluation set's bytes once parsed and each ciphertext once
// opened (bench/e2e/memory.ts). The round's result must be the same bytes either way.

const FEATURES = 12;
const CONTRACT = getAddress("0x" + "c1".repeat(20));
const sha256 = (b: Uint8Array) => "0x" + createHash("sha256").update(b).digest("hex");

describe("fedavg: the enclave worker drops a request's bytes as it uses them", function () {
  this.timeout(60_000);

  /** Round 1 of a fresh task with 3 honest updates and one sealed to another round (rejected), as a host sends it. */
  async function round(): Promise<() => AggregateRequest> {
    const enclaveDir = await tempDir("flai-consume-enclave-");
    const identity = await loadOrCreateIdentity(enclaveDir);
    const rand = mulberry32(5);
    const rows = 20;
    const evaluation = new TextEncoder().encode(
      datasetJson({
        rows,
        cols: FEATURES,
        features: Float64Array.from({ length: rows * FEATURES }, () => rand() * 2 - 1),
        labels: Uint8Array.from({ length: rows }, (_, i) => i % 2),
        classes: [0, 1],
      }),
    );
    const strategy = { name: "fedavg" as const };
    const model: GlobalModel = {
      format: "flai-global-model/v1",
      algorithm: "logistic-regression",
      features: FEATURES,
      weights: new Array<number>(FEATURES).fill(0),
      bias: 0,
      standardization: null,
      round: 0,
      federated: { strategy, local: { maxIterations: 1, c: 1, mu: 0 }, evaluationRoot: computeRoot(evaluation), rules: resolveRules({}, strategy), nonce: taskNonce() },
      previousHash: null,
      metrics: null,
    };
    const bytes = globalModelBytes(model);
    const globalHash = sha256(bytes);
    const recorded = [0, 1, 2, 3].map((i) => {
      const client = getAddress("0x" + (0x2000 + i).toString(16).padStart(40, "0"));
      const delta = Float64Array.from({ length: FEATURES + 1 }, () => 0.01 * (rand() - 0.5));
      const plain = encodeUpdate({ delta, sampleCount: 10 + i, metrics: { loss: 0.5, accuracy: 0.5 }, baseModelHash: globalHash });
      // The last client's update is sealed for round 2: the enclave cannot open it for round 1.
      const ciphertext = sealUpdate(plain, identity.encryptionKey, { chainId: 31337n, contract: CONTRACT, taskId: 1n, round: i === 3 ? 2 : 1, client });
      return { client, updateRoot: computeRoot(ciphertext), updateHash: sha256(ciphertext), sampleCount: 10 + i, ciphertext };
    });
    const updatesAccumulatorValue = updatesAccumulator(1n, 1, recorded);
    // A fresh request each call, with its own copies of every byte array (as each worker gets its own clone).
    return () => ({
      enclaveDir,
      binding: { chainId: "31337", contract: CONTRACT, taskId: "1", round: 1 },
      globalModel: new Uint8Array(bytes),
      globalHash,
      updatesAccumulator: updatesAccumulatorValue,
      updateCount: recorded.length,
      evaluation: new Uint8Array(evaluation),
      updates: recorded.map((u) => ({ ...u, ciphertext: new Uint8Array(u.ciphertext) })),
    });
  }

  const bytesOf = (r: AggregateResponse) => ({
    model: Buffer.from(r.globalModel).toString("hex"),
    report: Buffer.from(r.report).toString("hex"),
    signature: r.signature,
    result: r.result,
  });

  it("gives the same model, report and signature with and without consume, and drops only what it used", async () => {
    const request = await round();
    const kept = request();
    const plain = await runAggregation(kept);
    const consumed = request();
    const dropped = await runAggregation(consumed, { consume: true });

    expect(bytesOf(dropped)).to.deep.equal(bytesOf(plain));
    expect(dropped.accepted.map((a) => a.client)).to.deep.equal(plain.accepted.map((a) => a.client));
    expect(dropped.rejected.map((r) => r.code)).to.deep.equal(["envelope"]);

    // Without consume the caller's request is left as it was.
    expect(kept.evaluation).to.be.instanceOf(Uint8Array);
    expect(kept.updates.every((u) => u.ciphertext instanceof Uint8Array)).to.equal(true);
    // With it: the evaluation set's bytes and every opened ciphertext are gone; the one that could
    // not be opened is left (the host's bytes, named in the rejection).
    expect(consumed.evaluation).to.equal(null);
    expect(consumed.updates.map((u) => u.ciphertext === null)).to.deep.equal([true, true, true, false]);
  });
});
