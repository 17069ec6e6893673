// End-to-end row for a client's encrypt step (issue 14): the `encrypt` timing of
// hre.flai.fedavg.prepareUpdate (what runClient does before uploading) for an 800 KB update
// (D = 1e5), on the in-process chain: the enclave's key read from the chain and re-verified (its
// registration, measurement, pinned authority and the authority-signed report), then the update
// sealed to it. Run alone with `npx tsx bench/e2e/encrypt.ts` (prints the row as a JSON line).
//
// Floor, measured in this run: sealUpdate of 800 KB to the same key in this thread (X25519 + HKDF +
// AES-256-GCM), best of 5: what encrypting must do at least once the key is known.
import { randomBytes } from "node:crypto";
import { writeFile } from "node:fs/promises";
import path from "node:path";

import { sealUpdate } from "../../src/fedavg/envelope.js";
import type { Dataset } from "../../src/ml/dataset.js";
import { mulberry32 } from "../../src/util/prng.js";
import { tempProject } from "../../test/helpers/project.js";

export interface Row {
  row: string;
  measuredMs: number;
  floorMs: number;
  floorWhat: string;
  note?: string;
}

const FEATURES = 100_000;
const ROWS = 20;
const CALLS = Number(process.env.CALLS ?? 6);

function dataset(seed: number, rows = ROWS): Dataset {
  const rand = mulberry32(seed);
  const features = new Float64Array(rows * FEATURES);
  for (let i = 0; i < features.length; i++) features[i] = Math.round((rand() * 2 - 1) * 100) / 100;
  const labels = new Uint8Array(rows);
  for (let r = 0; r < rows; r++) labels[r] = r % 2;
  return { rows, cols: FEATURES, features, labels, classes: [0, 1] };
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

export async function measure(): Promise<Row[]> {
  const { hre, root } = await tempProject();
  const connection = await hre.network.create();
  const signers = await connection.ethers.getSigners();
  const spec = path.join(root, "model.json");
  await writeFile(
    spec,
    JSON.stringify({ format: "flai-model/v1", algorithm: "logistic-regression", features: FEATURES, hyperparameters: { c: 1, maxIterations: 20, standardize: false } }),
  );
  const evaluation = path.join(root, "evaluation.json");
  const ev = dataset(99, 4);
  await writeFile(evaluation, JSON.stringify({ features: Array.from({ length: ev.rows }, (_, r) => Array.from(ev.features.subarray(r * FEATURES, (r + 1) * FEATURES))), labels: Array.from(ev.labels) }));
  const { fedavg, teeSim } = hre.flai;
  const created = await fedavg.createTask({ model: spec, evaluation, rounds: 1, quorum: 2, reward: "1", connection });

  const encrypt: number[] = [];
  let bytes = 0;
  for (let i = 0; i < CALLS; i++) {
    const sealed = await fedavg.prepareUpdate({ taskId: created.task.id, data: dataset(i + 1), signer: signers[1 + (i % 2)], connection });
    encrypt.push(sealed.timings.encrypt);
    bytes = sealed.ciphertext.length;
  }

  const { encryptionKey } = await teeSim.identity();
  const plaintext = randomBytes(bytes);
  const binding = { chainId: 31337n, contract: await signers[0]!.getAddress(), taskId: created.task.id, round: 1, client: await signers[1]!.getAddress() };
  let floor = Infinity;
  for (let i = 0; i < 5; i++) {
    const start = performance.now();
    sealUpdate(plaintext, encryptionKey, binding);
    floor = Math.min(floor, performance.now() - start);
  }
  return [
    {
      row: "client encrypt, 800 KB update",
      measuredMs: median(encrypt.slice(1)),
      floorMs: floor,
      floorWhat: "sealUpdate of the same size to the known key, in-thread",
      note: `median of calls 2–${CALLS} of prepareUpdate's encrypt step (first call ${encrypt[0]!.toFixed(1)} ms); ${(bytes / 1024).toFixed(0)} KiB sealed`,
    },
  ];
}

if (process.argv[1] === import.meta.filename) {
  for (const row of await measure()) console.log(JSON.stringify(row));
  process.exit(0);
}
