import { randomBytes } from "node:crypto";

import { expect } from "chai";
import { getAddress } from "ethers";

import { flaiErrorCode } from "../../src/errors.js";
import { EVALUATION_NEEDED, runAggregation, type AggregateResponse } from "../../src/federated/aggregator.js";
import { parseGlobalModel } from "../../src/federated/global-model.js";
import { inputRefusalOf } from "../../src/federated/input-checks.js";
import { openTaskModel, sealTaskEvaluation } from "../../src/federated/task-models.js";
import { isSealedArtifact } from "../../src/privacy/artifact.js";
import { computeRoot } from "../../src/storage/merkle.js";

import { aggregateRequest } from "../helpers/aggregate-request.js";

// The helper's task: task 1 of this contract on chain 31337.
const CTX = { chainId: 31337n, contract: getAddress("0x" + "c1".repeat(20)), taskId: 1n };

async function refusal(run: Promise<unknown>): Promise<unknown> {
  return run.then(
    () => expect.fail("the enclave aggregated"),
    (error: unknown) => error,
  );
}

/**
 * Issue 17 follow-up: a private task's evaluation (test) set is stored sealed with the task key. The
 * enclave opens it with the key that opened the previous model and scores exactly as on the
 * plaintext set; a set that key does not open (another task's, another key's) is refused by code,
 * nothing signed, and a parse cached under one task's key is never taken for another's.
 */
describe("federated: a private task's sealed evaluation set", function () {
  this.timeout(120_000);

  it("is opened with the task key and scores exactly as the public task on the same data (fixed seed)", async () => {
    const taskKey = new Uint8Array(randomBytes(32));
    const privateRequest = (await aggregateRequest({ sealed: { taskKey } }))();
    expect(isSealedArtifact(privateRequest.evaluation!)).to.equal(true);
    expect(Buffer.from(privateRequest.evaluation!).toString("latin1")).to.not.contain("features").and.not.contain("labels");
    const publicRequest = (await aggregateRequest())();
    expect(isSealedArtifact(publicRequest.evaluation!)).to.equal(false);

    const sealed: AggregateResponse = await runAggregation(privateRequest);
    const plain: AggregateResponse = await runAggregation(publicRequest);
    expect(isSealedArtifact(sealed.globalModel)).to.equal(true);
    const next = parseGlobalModel(openTaskModel(sealed.globalModel, taskKey, CTX, 1, sealed.result.globalHash), "round 1");
    const nextPublic = parseGlobalModel(plain.globalModel, "round 1 (public)");
    // Same data, same updates: the same weights and the same scores, on the set the private model commits.
    expect(next.metrics).to.deep.equal(nextPublic.metrics);
    expect(next.weights).to.deep.equal(nextPublic.weights);
    expect(sealed.result.metrics).to.equal(plain.result.metrics);
    expect(next.federated.evaluationRoot).to.equal(computeRoot(privateRequest.evaluation!));
  });

  it("another task's sealed set (another key) is refused with evaluation-unreadable: nothing signed", async () => {
    const taskKey = new Uint8Array(randomBytes(32));
    const otherKey = new Uint8Array(randomBytes(32));
    const request = (await aggregateRequest({ sealed: { taskKey }, storeEvaluation: (b) => sealTaskEvaluation(b, otherKey, CTX) }))();
    const error = await refusal(runAggregation(request));
    expect(inputRefusalOf(error), String(error)).to.equal("evaluation-unreadable");
    expect(flaiErrorCode(error)).to.equal("evaluation-unreadable");
    expect(String(error)).to.contain("Nothing was aggregated or signed").and.contain("does not open with the task key");
  });

  it("a public task committed to a sealed set is refused: the enclave holds no key for it", async () => {
    const someKey = new Uint8Array(randomBytes(32));
    const request = (await aggregateRequest({ storeEvaluation: (b) => sealTaskEvaluation(b, someKey, CTX) }))();
    const error = await refusal(runAggregation(request));
    expect(flaiErrorCode(error)).to.equal("evaluation-unreadable");
    expect(String(error)).to.contain("the task is public");
  });

  it("a swapped evaluation set (bytes of another root) is refused before anything is opened", async () => {
    const taskKey = new Uint8Array(randomBytes(32));
    const request = (await aggregateRequest({ sealed: { taskKey } }))();
    const other = (await aggregateRequest({ sealed: { taskKey } }))().evaluation!;
    // Same key, same plaintext, same binding: the SIV makes the same bytes, so alter one of them.
    other[other.length - 1]! ^= 1;
    const error = await refusal(runAggregation({ ...request, evaluation: other }));
    expect(String(error)).to.contain("does not have the committed root");
  });

  it("a parse cached under one task's key is not taken for a task that commits the same root under another key", async () => {
    const keyA = new Uint8Array(randomBytes(32));
    const keyB = new Uint8Array(randomBytes(32));
    const requestA = (await aggregateRequest({ sealed: { taskKey: keyA } }))();
    const storedA = new Uint8Array(requestA.evaluation!);
    await runAggregation(requestA);
    // Task B's model commits A's sealed set (same root) but B's key: held-by-root is not enough.
    const requestB = (await aggregateRequest({ sealed: { taskKey: keyB }, storeEvaluation: () => new Uint8Array(storedA) }))();
    const needed = await refusal(runAggregation({ ...requestB, evaluation: null }));
    expect(flaiErrorCode(needed) ?? (needed as { code?: string }).code).to.equal(EVALUATION_NEEDED);
    const unreadable = await refusal(runAggregation(requestB));
    expect(flaiErrorCode(unreadable)).to.equal("evaluation-unreadable");
    // Task A itself, handed nothing, uses the parse it verified.
    const again = (await aggregateRequest({ sealed: { taskKey: keyA }, storeEvaluation: () => new Uint8Array(storedA) }))();
    expect((await runAggregation({ ...again, evaluation: null })).signature).to.match(/^0x/);
  });
});
