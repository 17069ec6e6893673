import { createHash, randomBytes } from "node:crypto";
import { readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";

import { expect } from "chai";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/types";
import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import type { FlaiConnection } from "../../src/chain/connection.js";
import { flaiError, flaiErrorCode } from "../../src/errors.js";
import { holdoutSplit, partitionDataset } from "../../src/federated/partition.js";
import { readRoundReport } from "../../src/federated/round-report.js";
import { datasetJson } from "../../src/federated/simulation.js";
import { parseDataset } from "../../src/ml/dataset.js";
import type { StorageBackend } from "../../src/storage/types.js";
import { fetchVerified } from "../../src/verify/common.js";
import type { Recorded } from "../../src/verify/round-chain.js";
import { updateVerdict } from "../../src/verify/round-updates.js";
import { verifyRound } from "../../src/verify/rounds.js";
import { storageFaultOf } from "../../src/verify/storage-fault.js";

import { readersOf } from "../helpers/federated.js";
import { FIXTURES, tempDir, tempProject } from "../helpers/project.js";

const sha256 = (bytes: Uint8Array) => "0x" + createHash("sha256").update(bytes).digest("hex");
const ROOT = "0x" + "ab".repeat(32);

function recorded(updateHash: string): Recorded {
  return { client: "0x" + "11".repeat(20), updateRoot: ROOT, updateHash, numExamples: 10 };
}

describe("verify: rejections are confirmed by their code, not their wording", function () {
  const gone = { bytes: undefined, error: "not in storage" };

  it("an 'unavailable' rejection of a ciphertext still missing matches, however its reason is worded", () => {
    const u = recorded(sha256(Buffer.from("x")));
    const [verdict, detail] = updateVerdict(
      u,
      { accepted: false, code: "unavailable", reason: "the ciphertext could not be fetched" },
      gone,
    );
    expect(verdict).to.equal("match");
    expect(detail).to.contain("rejected (the ciphertext could not be fetched)");
  });

  it("the old reason text under another code confirms nothing", () => {
    const u = recorded(sha256(Buffer.from("x")));
    expect(updateVerdict(u, { accepted: false, code: "envelope", reason: "not retrievable from storage (gone)" }, gone)[0]).to.equal(
      "cannot check",
    );
    // A report without codes (none is written so since codes exist): no reason is confirmed.
    expect(updateVerdict(u, { accepted: false, reason: "not retrievable from storage (gone)" }, gone)[0]).to.equal("cannot check");
  });

  it("a 'hash-mismatch' rejection is confirmed by the bytes, and a hash the enclave did not report is a mismatch", () => {
    const bytes = Buffer.from("the stored ciphertext");
    const u = recorded(sha256(Buffer.from("what was recorded")));
    const present = { bytes };
    expect(updateVerdict(u, { accepted: false, code: "hash-mismatch", reason: "its digest differs" }, present)[0]).to.equal("match");
    const reworded = updateVerdict(
      u,
      { accepted: false, code: "malformed", reason: "the ciphertext does not match the hash recorded on-chain" },
      present,
    );
    expect(reworded[0]).to.equal("mismatch");
    expect(reworded[1]).to.contain("which the enclave did not report");
  });
});

describe("verify: a storage read's fault is read from its code", function () {
  const storageThrowing = (error: unknown): StorageBackend =>
    ({
      kind: "local",
      has: async () => true,
      read: async () => {
        throw error;
      },
    }) as unknown as StorageBackend;

  it("bytes with another root ('root-mismatch') are a mismatch, whatever the message says", async () => {
    const error = flaiError("The object under this name holds something else.", undefined, { code: "root-mismatch" });
    expect(flaiErrorCode(error)).to.equal("root-mismatch");
    const { bytes, item } = await fetchVerified(storageThrowing(error), ROOT, "global model", "the model");
    expect(bytes).to.equal(undefined);
    expect(item.verdict).to.equal("mismatch");
    expect(item.detail).to.contain("the stored bytes do not have this root: The object under this name holds something else.");
  });

  it("the code is found on a wrapped error too; other failures cannot be checked", async () => {
    const inner = flaiError("other bytes", undefined, { code: "root-mismatch" });
    expect(storageFaultOf(flaiError("Reading failed.", inner))).to.equal("root-mismatch");
    const unreachable = await fetchVerified(storageThrowing(flaiError("The node timed out.")), ROOT, "global model", "the model");
    expect(unreachable.item.verdict).to.equal("cannot check");
    // Only hardhat-flai's own errors carry fault codes: a foreign error's `code` decides nothing.
    expect(storageFaultOf(Object.assign(new Error("x"), { code: "root-mismatch" }))).to.equal(undefined);
  });
});

describe("verify: a round with an update storage never returned", function () {
  this.timeout(120_000);
  let hre: HardhatRuntimeEnvironment;
  let connection: FlaiConnection;
  let taskId: bigint;
  let missing: string;
  let reportRoot: string;

  before(async () => {
    ({ hre } = await tempProject());
    connection = await hre.network.getOrCreate();
    const all = parseDataset(await readFile(path.join(FIXTURES, "data.json")), "data.json");
    const { train, test } = holdoutSplit(all, 0.25, 1);
    const clients = partitionDataset(train, 2, { scheme: "iid", seed: 2 });
    const evaluation = path.join(await tempDir(), "holdout.json");
    await writeFile(evaluation, datasetJson(test));
    const { fedavg } = hre.flai;
    const model = path.join(FIXTURES, "model.json");
    const created = await fedavg.createTask({
      model,
      evaluation,
      standardizeOn: clients[0]!,
      rounds: 1,
      quorum: 2,
      reward: "0.1",
      rules: { minAccepted: 2 },
      clients: await readersOf(hre, connection, (await connection.ethers.getSigners()).slice(1, 3)),
      connection,
    });
    taskId = created.task.id;
    const signers: HardhatEthersSigner[] = (await connection.ethers.getSigners()).slice(1, 4);
    for (let i = 0; i < 2; i++) await fedavg.runClient({ taskId, data: clients[i]!, signer: signers[i], connection });
    // Recorded on-chain, then gone from storage before the enclave reads it: rejected as unavailable.
    const lost = await fedavg.submitCiphertext({ taskId, ciphertext: randomBytes(200), numExamples: 20, signer: signers[2], connection });
    missing = lost.client;
    await rm(path.join(hre.config.flai.storage.path, lost.updateRoot.slice(2)));
    reportRoot = (await fedavg.aggregate({ taskId, connection })).reportRoot;
  });

  it("the report carries the rejection's code, and the verifier confirms it", async () => {
    const report = readRoundReport(await hre.flai.storage.read(reportRoot));
    expect(report.rejected.map((r) => r.code)).to.deep.equal(["unavailable"]);
    const items = await verifyRound(hre, hre.flai, taskId, 1, { connection });
    const item = items.find((i) => i.item === `round 1: update ${missing}`);
    expect(item?.verdict, JSON.stringify(items, null, 1)).to.equal("match");
    expect(item?.detail).to.contain("is still not in storage");
  });
});
