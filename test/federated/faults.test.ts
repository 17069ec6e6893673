import { createHash } from "node:crypto";
import { readdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";

import { expect } from "chai";
import { Contract, Interface } from "ethers";
import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import type { FlaiConnection } from "../../src/chain/connection.js";
import { holdoutSplit, partitionDataset } from "../../src/federated/partition.js";
import { datasetJson } from "../../src/federated/simulation.js";
import { loadFlaiArtifact } from "../../src/chain/artifact.js";
import { parseDataset } from "../../src/ml/dataset.js";
import type { StorageBackend, UploadResult } from "../../src/storage/types.js";

import { expectFlaiError } from "../helpers/assert.js";
import { readersOf } from "../helpers/federated.js";
import { FIXTURES, tempDir, tempProject } from "../helpers/project.js";

const sha256 = (bytes: Uint8Array) => "0x" + createHash("sha256").update(bytes).digest("hex");

/** Forwards to `inner`, recording every upload (bytes and result). */
function recording(inner: StorageBackend) {
  const uploads: Array<UploadResult & { bytes: Uint8Array }> = [];
  const storage: StorageBackend = {
    kind: inner.kind,
    upload: async (input, opts) => {
      const result = await inner.upload(input, opts);
      uploads.push({ ...result, bytes: typeof input === "string" ? await readFile(input) : input });
      return result;
    },
    download: (root, dest, opts) => inner.download(root, dest, opts),
    read: (root) => inner.read(root),
    has: (root) => inner.has(root),
  };
  return { storage, uploads };
}

describe("faults: an aggregator that crashes between its uploads and finalizeRound", function () {
  this.timeout(120_000);
  let hre: HardhatRuntimeEnvironment;
  let connection: FlaiConnection;

  before(async () => {
    ({ hre } = await tempProject());
    connection = await hre.network.create();
  });

  it("the re-run finalizes exactly once, reuses the uploaded artifacts and publishes the first attempt's model", async () => {
    const all = parseDataset(await readFile(path.join(FIXTURES, "data.json")), "data.json");
    const { train, test } = holdoutSplit(all, 0.25, 1);
    const clients = partitionDataset(train, 2, { scheme: "iid", seed: 2 });
    const evaluation = path.join(await tempDir(), "holdout.json");
    await writeFile(evaluation, datasetJson(test));

    const created = await hre.flai.fedavg.createTask({
      model: path.join(FIXTURES, "model.json"),
      evaluation,
      standardizeOn: clients[0]!,
      rounds: 2,
      quorum: 2,
      reward: "0.2",
      rules: { minAccepted: 2 }, // two clients: below the default minimum of 3, allowed explicitly
      clients: await readersOf(hre, connection, (await connection.ethers.getSigners()).slice(1, 3)),
      connection,
    });
    const taskId = created.task.id;
    const signers = (await connection.ethers.getSigners()).slice(1, 3);
    for (let i = 0; i < 2; i++) {
      await hre.flai.fedavg.runClient({ taskId, data: clients[i]!, signer: signers[i], connection });
    }

    // The crash: every upload of the aggregation went through, then finalizeRound never reaches the chain.
    const federated = new Interface(loadFlaiArtifact("FLAIFederated").abi);
    const finalizeSelector = federated.getFunction("finalizeRound")!.selector;
    const provider = connection.provider;
    const request = provider.request.bind(provider);
    let crashes = 0;
    provider.request = async (args) => {
      const tx = (args.params as Array<{ data?: string }> | undefined)?.[0];
      if (args.method === "eth_sendTransaction" && crashes === 0 && tx?.data?.startsWith(finalizeSelector)) {
        crashes++;
        throw new Error("simulated aggregator crash before finalizeRound was sent");
      }
      return request(args);
    };
    const objects = async () => (await readdir(hre.config.flai.storage.path)).filter((n) => !n.startsWith(".")).length;

    const first = recording(hre.flai.storage);
    let err: unknown;
    try {
      await hre.flai.withStorage(first.storage).fedavg.aggregate({ taskId, connection });
    } catch (e) {
      err = e;
    }
    expect((err as Error)?.message).to.contain("simulated aggregator crash");
    expect(crashes).to.equal(1);
    const artifacts = first.uploads;
    expect(artifacts).to.have.length(2);
    expect(artifacts.every((u) => !u.alreadyStored)).to.equal(true);
    for (const u of artifacts) expect(await hre.flai.storage.has(u.root)).to.equal(true);
    const stored = await objects();
    const before = await hre.flai.fedavg.task(taskId, { connection });
    expect(before.currentRound).to.equal(1);
    expect(before.globalRoot).to.equal(created.initialModelRoot);

    const second = recording(hre.flai.storage);
    const agg = await hre.flai.withStorage(second.storage).fedavg.aggregate({ taskId, connection });
    expect(second.uploads.map((u) => u.root).sort()).to.deep.equal(artifacts.map((u) => u.root).sort());
    expect(second.uploads.every((u) => u.alreadyStored)).to.equal(true);
    expect(await objects()).to.equal(stored);

    const model = artifacts.find((u) => u.root === agg.globalRoot)!;
    expect(model, "the finalized model is one of the first attempt's uploads").to.not.equal(undefined);
    const after = await hre.flai.fedavg.task(taskId, { connection });
    expect(after.currentRound).to.equal(2);
    expect(after.globalRoot).to.equal(model.root);
    // A private task: the stored model is sealed; its plaintext (opened by the creator) has the on-chain hash.
    expect(after.globalHash).to.equal(sha256((await hre.flai.fedavg.readGlobalModel(taskId, { round: 1, connection })).bytes));
    expect(agg.globalHash).to.equal(after.globalHash);

    // Finalized once: a third run refuses, and the chain holds one RoundFinalized for the round.
    await expectFlaiError(() => hre.flai.fedavg.aggregate({ taskId, round: 1, connection }), "already finalized");
    const contract = new Contract(after.contract, federated, connection.ethers.provider);
    expect(await contract.queryFilter(contract.filters.RoundFinalized!(taskId, 1))).to.have.length(1);
  });
});
