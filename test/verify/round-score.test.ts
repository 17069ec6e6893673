import { randomBytes } from "node:crypto";

import { expect } from "chai";
import { getAddress } from "ethers";

import { evaluate } from "../../src/federated/evaluate.js";
import { linearModel, type GlobalModel } from "../../src/federated/global-model.js";
import { sealTaskEvaluation } from "../../src/federated/task-models.js";
import { parseDataset } from "../../src/ml/dataset.js";
import { LocalStorage } from "../../src/storage/local.js";
import type { RoundKeys } from "../../src/verify/round-keys.js";
import { checkTestScore } from "../../src/verify/round-score.js";

import { evaluationBytes, zeroModel } from "../helpers/aggregate-request.js";
import { tempDir } from "../helpers/project.js";

const CTX = { chainId: 31337n, contract: getAddress("0x" + "c1".repeat(20)), taskId: 1n };
const FEATURES = 4;

/**
 * flai:verify's "test score" item: the model's accuracy and log-loss recomputed on the task's test
 * set — a public task's by anyone, a private task's (sealed with the task key) only with that key.
 */
describe("verify: a round's score on the test set", () => {
  const plain = evaluationBytes(3, 12, FEATURES);
  let storage: LocalStorage;

  before(async () => {
    storage = new LocalStorage(await tempDir("flai-score-"));
  });

  /** A round model committing `stored` (its root) with the metrics the enclave would have put in it, or `metrics`. */
  async function modelOn(stored: Uint8Array, metrics?: { accuracy: number; logLoss: number }): Promise<GlobalModel> {
    await storage.upload(stored);
    const model = zeroModel(FEATURES, stored, { name: "fedavg" });
    model.weights = [0.5, -0.25, 0.125, 1];
    const score = metrics ?? evaluate(linearModel(model), parseDataset(plain, "test set"));
    return { ...model, round: 1, metrics: { ...score, accepted: 3, rejected: 0, totalNumExamples: 30, dp: null, minAccepted: 3 } };
  }

  const keysOf = (keys: Uint8Array[], keyrings = 1): RoundKeys => ({
    ctx: CTX,
    keyrings: Array.from({ length: keyrings }, () => new Uint8Array(1)),
    keys,
    who: keys.length === 0 ? "no reader key here" : "account 0xabc",
  });

  it("a public task's plaintext set: anyone re-scores the model (match), and a wrong score is a mismatch", async () => {
    const item = await checkTestScore(storage, await modelOn(plain), keysOf([], 0), new Map());
    expect(item.verdict, item.detail).to.equal("match");
    const wrong = await checkTestScore(storage, await modelOn(plain, { accuracy: 1, logLoss: 0 }), keysOf([], 0), new Map());
    expect(wrong.verdict).to.equal("mismatch");
    expect(wrong.detail).to.contain("its metrics say 1, 0");
  });

  it("a private task's sealed set: opened with the task key (match); without a key 'cannot check: encrypted'; another key's set is a mismatch", async () => {
    const taskKey = new Uint8Array(randomBytes(32));
    const sealed = sealTaskEvaluation(plain, taskKey, CTX);
    const model = await modelOn(sealed);
    const opened = await checkTestScore(storage, model, keysOf([taskKey]), new Map());
    expect(opened.verdict, opened.detail).to.equal("match");
    expect(opened.detail).to.contain("opened with the task key (account 0xabc)");
    const noKey = await checkTestScore(storage, model, keysOf([]), new Map());
    expect([noKey.verdict, noKey.code]).to.deep.equal(["cannot check", "encrypted"]);
    const other = await checkTestScore(storage, model, keysOf([new Uint8Array(randomBytes(32))]), new Map());
    expect(other.verdict).to.equal("mismatch");
    expect(other.detail).to.contain("does not open with the task key");
    // No model (a private task without a key): encrypted, not a mismatch.
    const none = await checkTestScore(storage, undefined, keysOf([]), new Map());
    expect(none.code).to.equal("encrypted");
  });
});
