// Moving bytes into an enclave worker (run-worker.ts: runWorker's transfer, movableBuffers): only
// arrays that own their whole ArrayBuffer move; views (a subarray, a slice of Node's Buffer pool) are
// copied as before and stay readable in the host; what the worker receives, and the round it signs,
// are the same bytes either way. FlaiFederated.aggregate moves the updates and evaluation set it read.
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import path from "node:path";

import { expect } from "chai";
import { Wallet } from "ethers";
import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import type { FlaiConnection } from "../../src/chain/connection.js";
import type { AggregateResponse } from "../../src/federated/aggregator.js";
import { LocalStorage } from "../../src/storage/local.js";
import type { ReadOptions } from "../../src/storage/types.js";
import { TeeSim } from "../../src/tee/enclave.js";
import { endIdleWorkers, movableBuffers, runWorker } from "../../src/tee/run-worker.js";

import { aggregateRequest } from "../helpers/aggregate-request.js";
import { federatedFixture, sampleTask, submitAll, type FederatedFixture } from "../helpers/federated.js";
import { FIXTURES, tempDir } from "../helpers/project.js";

const BYTES = "../../test/helpers/bytes-worker";
const AGGREGATOR = "../federated/aggregator-worker";
const sha256 = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");

describe("enclave workers: moved bytes (issue 14, memory)", function () {
  this.timeout(300_000);
  afterEach(endIdleWorkers);

  it("movableBuffers lists only arrays that own their whole ArrayBuffer, each buffer once", () => {
    const owned = new Uint8Array(64);
    const parent = new Uint8Array(64);
    const view = parent.subarray(8, 16);
    const prefix = parent.subarray(0, 16); // offset 0, but not the whole buffer
    const pooled = Buffer.from("a small string lands in Node's shared Buffer pool");
    const shared = new Uint8Array(new SharedArrayBuffer(16));
    expect(pooled.buffer.byteLength).to.be.greaterThan(pooled.byteLength); // the premise: a pool slice
    expect(movableBuffers(owned, view, prefix, pooled, shared, null, owned)).to.deep.equal([owned.buffer]);
    expect(movableBuffers(new Uint8Array(owned.buffer))).to.deep.equal([owned.buffer]);
  });

  it("moved and copied bytes arrive the same; only the owned array is detached in the host", async () => {
    const fill = (a: Uint8Array) => a.forEach((_, i) => (a[i] = (i * 31 + 7) & 0xff));
    const owned = new Uint8Array(100_000);
    fill(owned);
    const parent = new Uint8Array(4096);
    fill(parent);
    const view = parent.subarray(100, 900);
    const pooled = Buffer.from("bytes from the pool");
    const arrays = [owned, view, pooled];
    const expected = arrays.map((a) => ({ sha256: sha256(a), length: a.byteLength }));
    const parentBefore = sha256(parent);

    const copied = await runWorker(BYTES, arrays, 30_000, "copying");
    expect(copied).to.deep.equal(expected);
    expect(owned.byteLength).to.equal(100_000);

    const moved = await runWorker(BYTES, arrays, 30_000, "moving", movableBuffers(...arrays));
    expect(moved).to.deep.equal(expected);
    expect(owned.byteLength, "the owned array moved").to.equal(0);
    expect(sha256(view)).to.equal(expected[1]!.sha256);
    expect(sha256(parent), "the view's neighbours are untouched").to.equal(parentBefore);
    expect(sha256(pooled)).to.equal(expected[2]!.sha256);
  });

  it("the aggregation enclave signs the same model, report and signature from moved bytes as from copied ones", async () => {
    const request = await aggregateRequest();
    const bytesOf = (r: AggregateResponse) => ({
      model: sha256(r.globalModel),
      report: sha256(r.report),
      signature: r.signature,
      result: r.result,
      accepted: r.accepted.map((a) => a.client),
    });
    const copied = await runWorker<AggregateResponse>(AGGREGATOR, request(), 60_000, "aggregating (copied)");
    await endIdleWorkers(); // a fresh worker: the moved evaluation set is parsed, not taken from the first call's cache
    const sent = request();
    const moved = await runWorker<AggregateResponse>(
      AGGREGATOR,
      sent,
      60_000,
      "aggregating (moved)",
      movableBuffers(sent.evaluation, ...sent.updates.map((u) => u.ciphertext)),
    );
    expect(bytesOf(moved)).to.deep.equal(bytesOf(copied));
    expect(moved.accepted).to.have.length(3);
    expect(sent.evaluation!.byteLength).to.equal(0);
    expect(sent.updates.map((u) => u.ciphertext!.byteLength)).to.deep.equal([0, 0, 0]);
    expect(sent.globalModel.byteLength, "the global model is not moved (the host reads its evaluation root again)").to.be.greaterThan(0);
  });

  it("a training job signs the same result from moved inputs; only runJob({ move: true }) detaches them", async () => {
    const storage = new LocalStorage(await tempDir());
    const tee = new TeeSim({ dir: await tempDir(), storage, trainingTimeoutSeconds: 60 });
    const inputs = () => Promise.all([readFile(path.join(FIXTURES, "data.json")), readFile(path.join(FIXTURES, "model.json"))]);
    const [data, model] = await inputs();
    const job = {
      jobId: 3n,
      submitter: Wallet.createRandom().address,
      deadline: 2_000_000_000n,
      dataRoot: (await storage.upload(data)).root,
      modelRoot: (await storage.upload(model)).root,
      chainId: 31337n,
      contract: Wallet.createRandom().address,
      payee: Wallet.createRandom().address,
    };
    const copied = await tee.runJob(job, data, model);
    expect(
      [data.byteLength, model.byteLength].every((n) => n > 0),
      "copied: the caller's arrays are left as they were",
    ).to.equal(true);
    const [movedData, movedModel] = await inputs();
    const moved = await tee.runJob(job, movedData, movedModel, { move: true });
    expect([movedData.byteLength, movedModel.byteLength]).to.deep.equal([0, 0]);
    expect({ resultHash: moved.resultHash, signature: moved.signature }).to.deep.equal({
      resultHash: copied.resultHash,
      signature: copied.signature,
    });
    expect((await tee.train(job)).resultHash, "train() moves the bytes it read").to.equal(copied.resultHash);
  });

  describe("FlaiFederated.aggregate", () => {
    const CLIENTS = 3;
    let hre: HardhatRuntimeEnvironment;
    let connection: FlaiConnection;
    let fx: FederatedFixture;
    let evaluation: string;
    let storage: LocalStorage;
    /** What the host's storage reads returned during a test, as the host holds them. */
    let returned: { root: string; bytes: Uint8Array; digest: string }[] = [];
    /** How reads hand out bytes: readFile's own buffer, or a view into a larger buffer. */
    let shape: "owned" | "view";

    before(async () => {
      fx = await federatedFixture({ holdout: 14, split: 15 }, CLIENTS);
      ({ hre, connection, evaluation } = fx);
      storage = hre.flai.storage as LocalStorage;
      const read = storage.read.bind(storage);
      storage.read = async (root: string, opts?: ReadOptions) => {
        const bytes = await read(root, opts);
        let out = bytes;
        if (shape === "view") {
          const padded = new Uint8Array(bytes.byteLength + 32).fill(0xee);
          padded.set(bytes, 16);
          out = padded.subarray(16, 16 + bytes.byteLength);
        }
        returned.push({ root, bytes: out, digest: sha256(out) });
        return out;
      };
    });

    async function roundReady(rounds: number) {
      const taskId = await sampleTask(fx, rounds, CLIENTS);
      await submitAll(fx, taskId, CLIENTS);
      returned = [];
      return taskId;
    }

    it("views handed out by storage stay intact in the host, and the round is aggregated from them", async () => {
      shape = "view";
      const taskId = await roundReady(1);
      const round = await hre.flai.fedavg.aggregate({ taskId, connection });
      expect(round.accepted).to.have.length(CLIENTS);
      expect(returned.length).to.be.at.least(CLIENTS + 2); // updates, model, evaluation set
      for (const r of returned) expect(sha256(r.bytes), `read of ${r.root}`).to.equal(r.digest);
    });

    it("owned bytes move into the worker; a fresh worker's retry for the evaluation set reads the updates again", async () => {
      shape = "owned";
      const taskId = await roundReady(2);
      const first = await hre.flai.fedavg.aggregate({ taskId, connection });
      expect(first.accepted).to.have.length(CLIENTS);
      const updateRoots = new Set(first.accepted.map((a) => a.updateRoot));
      const updateReads = returned.filter((r) => updateRoots.has(r.root));
      expect(updateReads).to.have.length(CLIENTS);
      expect(
        updateReads.map((r) => r.bytes.byteLength),
        "moved to the enclave worker",
      ).to.deep.equal([0, 0, 0]);
      // The task's own copy of the test set (sealed with the task key: a private task), read by the creator.
      const evaluationRoot = (await hre.flai.federated.readGlobalModel(taskId, { account: 0, connection })).model.federated.evaluationRoot;
      expect(evaluationRoot).to.not.equal(evaluation);
      expect(returned.find((r) => r.root === evaluationRoot)?.bytes.byteLength, "the evaluation set moved too").to.equal(0);

      await submitAll(fx, taskId, CLIENTS);
      await endIdleWorkers(); // the next call refuses a null evaluation set (EVALUATION_NEEDED) after taking the updates
      returned = [];
      const second = await hre.flai.fedavg.aggregate({ taskId, connection });
      expect(second.accepted).to.have.length(CLIENTS);
      const secondRoots = new Set(second.accepted.map((a) => a.updateRoot));
      expect(
        returned.filter((r) => secondRoots.has(r.root)),
        "each update read for each call",
      ).to.have.length(2 * CLIENTS);
    });
  });
});
