import { readFile } from "node:fs/promises";
import path from "node:path";

import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/types";
import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import type { FlaiConnection } from "../../src/chain/connection.js";
import { holdoutSplit, partitionDataset } from "../../src/federated/partition.js";
import { datasetJson } from "../../src/federated/simulation.js";
import { parseDataset, type Dataset } from "../../src/ml/dataset.js";

import { FIXTURES, tempProject } from "./project.js";

export interface FederatedFixture {
  hre: HardhatRuntimeEnvironment;
  root: string;
  connection: FlaiConnection;
  signers: HardhatEthersSigner[];
  /** Each client's local data: an IID split of the sample data's training part. */
  shares: Dataset[];
  /** The stored root of the held-out quarter the enclave evaluates on. */
  evaluation: string;
}

/** A temp project on a fresh in-process chain, with the sample data split into clients and a held-out set. */
export async function federatedFixture(seeds: { holdout: number; split: number }, clients = 4): Promise<FederatedFixture> {
  const { hre, root } = await tempProject();
  const connection = await hre.network.create();
  const signers = await connection.ethers.getSigners();
  const all = parseDataset(await readFile(path.join(FIXTURES, "data.json")), "data.json");
  const { train, test } = holdoutSplit(all, 0.25, seeds.holdout);
  const shares = partitionDataset(train, clients, { scheme: "iid", seed: seeds.split });
  const evaluation = (await hre.flai.storage.upload(Buffer.from(datasetJson(test)))).root;
  return { hre, root, connection, signers, shares, evaluation };
}

/** The rows of `ds` labelled `label`: a client holding one class, as label-skewed federations have. */
export function onlyLabel(ds: Dataset, label: number): Dataset {
  const rows: number[] = [];
  for (let i = 0; i < ds.rows; i++) if (ds.labels[i] === label) rows.push(i);
  const features = new Float64Array(rows.length * ds.cols);
  rows.forEach((r, i) => features.set(ds.features.subarray(r * ds.cols, (r + 1) * ds.cols), i * ds.cols));
  return { ...ds, rows: rows.length, features, labels: new Uint8Array(rows.length).fill(label) };
}

/**
 * Registers each signer's reader key (as flai:reader-key --register / any client run does) and returns
 * their addresses: what a private task's creator passes as `clients` to admit them at creation.
 */
export async function readersOf(
  hre: HardhatRuntimeEnvironment,
  connection: FlaiConnection,
  signers: readonly HardhatEthersSigner[],
): Promise<string[]> {
  for (const signer of signers) await hre.flai.federated.registerReaderKey({ signer, connection });
  return signers.map((s) => s.address);
}

/**
 * A task on the fixture's chain for the sample model (fixtures/model.json), evaluated on the held-out set,
 * standardized on client 0's share, whose rounds close at `clients` updates.
 */
export async function sampleTask(fx: FederatedFixture, rounds: number, clients: number): Promise<bigint> {
  const created = await fx.hre.flai.fedavg.createTask({
    model: path.join(FIXTURES, "model.json"),
    evaluation: fx.evaluation,
    standardizeOn: fx.shares[0]!,
    rounds,
    quorum: clients,
    reward: "1",
    // Private (the default): the clients submitAll runs are admitted at creation.
    clients: await readersOf(fx.hre, fx.connection, fx.signers.slice(1, 1 + clients)),
    connection: fx.connection,
  });
  return created.task.id;
}

/** Clients 0 … clients − 1 (signers 1 … clients) each train on their share and submit to the task's open round. */
export async function submitAll(fx: FederatedFixture, taskId: bigint, clients: number): Promise<void> {
  for (let i = 0; i < clients; i++) {
    await fx.hre.flai.fedavg.runClient({ taskId, data: fx.shares[i]!, signer: fx.signers[1 + i], connection: fx.connection });
  }
}
