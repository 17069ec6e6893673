// End-to-end rows for 0G storage on the local devnet (issue 14), measured against the floor in the
// same run. Run alone: `npx tsx bench/e2e/storage.ts`, or with the others: `npm run bench:e2e`.
//
// Whole commands, as a user runs them: `hardhat node` and `flai:devnet` as services, then
//   - `flai:upload <64 MiB> --network local` (the 15.4 s row), and
//   - `flai:fl-client --task <id> --data data.json --account 1` (the 3.3–3.6 s row),
// each next to the same command in a project on the same node whose storage is the local backend
// (same chain work, same start-up, storage at disk speed): the floor. The upload's floor also counts
// what the 0G protocol adds and no implementation can skip, each measured in the same run: one
// transaction, the node re-hashing the file to check each segment's proof, the node's chain poll.
// Whole API calls (no Hardhat start-up): `ZeroGStorage.upload` through the real SDK against the
// in-process devnet, 2 KB (what a client's update is) and 64 MiB, next to what the protocol needs at
// least: the local backend storing the same file, one transaction, the node hashing the file again
// to check its segments (same process here), and the node's chain poll interval.
import { randomBytes } from "node:crypto";
import { rm, writeFile } from "node:fs/promises";
import path from "node:path";

import { JsonRpcProvider } from "ethers";

import { startStorageDevnet } from "../../src/devnet/storage-devnet.js";
import { zeroGStorageFor } from "../../src/storage/create.js";
import { LocalStorage } from "../../src/storage/local.js";
import { segmentRootsOf } from "../../src/storage/sdk-tree.js";
import { pluginProject, runHardhat } from "../../test/helpers/cli.js";
import { freePort } from "../../test/helpers/net.js";
import { startHardhat, startNode, type Running } from "../../test/helpers/processes.js";
import { FIXTURES, tempDir, tempProject } from "../../test/helpers/project.js";

import type { Row } from "./row.js";

const MiB = 1024 * 1024;
/** The storage devnet node's default interval between two reads of the chain's Submit logs. */
const NODE_POLL_MS = 50;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const start = performance.now();
  const value = await fn();
  return { ms: performance.now() - start, value };
}

/** The best of `runs` fresh files of `size` bytes (fresh: an already-stored file is not uploaded again). */
async function bestOf(runs: number, size: number, dir: string, upload: (file: string) => Promise<unknown>): Promise<number> {
  let best = Infinity;
  for (let i = 0; i < runs; i++) {
    const file = path.join(dir, `blob-${size}-${i}-${randomBytes(4).toString("hex")}.bin`);
    await writeFile(file, randomBytes(size));
    best = Math.min(best, (await timed(() => upload(file))).ms);
    await rm(file, { force: true });
  }
  return best;
}

async function apiRows(): Promise<Row[]> {
  const { hre } = await tempProject({ flai: { storage: { backend: "0g", timeoutSeconds: 60, retries: 1 } } });
  const connection = await hre.network.create();
  const devnet = await startStorageDevnet(connection, { dir: await tempDir("flai-bench-devnet-") });
  try {
    const storage = await zeroGStorageFor(connection, hre.config.flai, { indexerUrl: devnet.url });
    const local = new LocalStorage(await tempDir("flai-bench-local-"));
    const files = await tempDir("flai-bench-files-");
    // Warm-up: the first upload deploys nothing, but loads the SDK, ethers' ABI coders and the hashers.
    await bestOf(1, 4096, files, (f) => storage.upload(f));

    // One transaction on the same chain: the part of an upload no storage work can remove.
    const [payer] = await connection.ethers.getSigners();
    const txMs = (
      await timed(async () => {
        const tx = await payer!.sendTransaction({ to: payer!.address, value: 1n });
        await tx.wait();
      })
    ).ms;

    const rows: Row[] = [];
    for (const { row, size, runs } of [
      { row: "ZeroGStorage.upload 2 KB (in-process devnet)", size: 2048, runs: 3 },
      { row: "ZeroGStorage.upload 64 MiB (in-process devnet)", size: 64 * MiB, runs: 2 },
    ]) {
      const measuredMs = await bestOf(runs, size, files, (f) => storage.upload(f));
      const localMs = await bestOf(runs, size, files, (f) => local.upload(f));
      // The node checks every segment against its proof: hashing the file once more, in this process.
      const checkMs = await bestOf(runs, size, files, (f) => segmentRootsOf(f));
      rows.push({
        row,
        measuredMs,
        floorMs: localMs + txMs + checkMs + NODE_POLL_MS,
        floorWhat:
          `local backend storing the same file (${localMs.toFixed(0)} ms) + one transaction (${txMs.toFixed(0)} ms) + the node ` +
          `re-hashing it (${checkMs.toFixed(0)} ms) + the node's chain poll interval (${NODE_POLL_MS} ms: it learns the transaction from the chain)`,
        note: `best of ${runs}`,
      });
    }
    return rows;
  } finally {
    await devnet.close();
  }
}

/** A user's project on `hardhat node` at `nodePort`, with this repository's plugin and `flaiLine` as its flai config. */
async function userProject(nodePort: number, flaiLine: string): Promise<string> {
  const networks = `networks: { local: { type: "http", url: "http://127.0.0.1:${nodePort}" } }`;
  return (await pluginProject("flai-bench-project", flaiLine === "" ? networks : `${networks}, ${flaiLine}`)).project;
}

/** `hardhat <args> --network local --json` in `cwd`, timed from spawn to exit; fails loudly. */
async function timedHardhat(cwd: string, args: string[]): Promise<{ ms: number; doc: Record<string, unknown> }> {
  const start = performance.now();
  const run = await runHardhat([...args, "--network", "local", "--json"], { cwd });
  const ms = performance.now() - start;
  if (run.code !== 0) throw new Error(`hardhat ${args.join(" ")} exited with ${run.code}:\n${run.stdout}\n${run.stderr.slice(-2000)}`);
  return { ms, doc: JSON.parse(run.stdout) as Record<string, unknown> };
}

/** Deploys the plugin's contracts and creates a one-round task; its id. */
async function federatedTask(cwd: string): Promise<string> {
  await timedHardhat(cwd, ["flai:deploy"]);
  const { doc } = await timedHardhat(cwd, [
    "flai:fl-create",
    ...[
      "--model",
      path.join(FIXTURES, "model.json"),
      "--test",
      path.join(FIXTURES, "data.json"),
      "--standardize-on",
      path.join(FIXTURES, "data.csv"),
    ],
    ...["--rounds", "1", "--quorum", "3", "--max-clients", "3", "--reward", "0.01"],
  ]);
  return String((doc.task as { id: unknown }).id);
}

async function commandRows(): Promise<Row[]> {
  const running: Running[] = [];
  try {
    const nodePort = await freePort();
    const localProject = await userProject(nodePort, "");
    const node = await startNode(localProject, nodePort);
    running.push(node);
    const [indexerPort, computePort] = [await freePort(), await freePort()];
    const devnetProject = await userProject(nodePort, "");
    const devnet = startHardhat(
      ["flai:devnet", "--port", String(indexerPort), "--compute-port", String(computePort), "--network", "local"],
      {
        cwd: devnetProject,
      },
    );
    running.push(devnet);
    await devnet.waitFor("Press Ctrl-C");
    const zeroG = await userProject(nodePort, `flai: { storage: { backend: "0g", indexerUrl: "http://127.0.0.1:${indexerPort}" } }`);

    const rows: Row[] = [];
    // Fresh random bytes for each run: a file the network already stores is not uploaded again.
    const bigFile = async () => {
      const file = path.join(await tempDir("flai-bench-files-"), "data-64mib.bin");
      await writeFile(file, randomBytes(64 * MiB));
      return file;
    };
    const upload = async (cwd: string, file: string) => (await timedHardhat(cwd, ["flai:upload", file])).ms;
    // What the 0G protocol adds to the local backend's command and no client or node can skip: one
    // Submit transaction mined (sent here to the same node), the node re-hashing every segment to check
    // it against its proof (segmentRootsOf: the same WebAssembly keccak the devnet node uses, on the same
    // file), and the node's chain poll (it learns the Submit from the chain). Interleaved run by run.
    const provider = new JsonRpcProvider(`http://127.0.0.1:${nodePort}`);
    const payer = await provider.getSigner(0);
    const runs = 3;
    const measured: number[] = [];
    const local: number[] = [];
    const txs: number[] = [];
    const checks: number[] = [];
    for (let i = 0; i < runs; i++) {
      const file = await bigFile();
      measured.push(await upload(zeroG, file));
      await rm(file, { force: true });
      const other = await bigFile();
      local.push(await upload(localProject, other));
      checks.push((await timed(() => segmentRootsOf(other))).ms);
      await rm(other, { force: true });
      txs.push((await timed(async () => (await payer.sendTransaction({ to: payer.address, value: 1n })).wait())).ms);
    }
    provider.destroy();
    const [localMs, txMs, checkMs] = [median(local), median(txs), median(checks)];
    rows.push({
      row: "flai:upload 64 MiB to the storage devnet",
      measuredMs: median(measured),
      floorMs: localMs + txMs + checkMs + NODE_POLL_MS,
      floorWhat:
        `the same command with the local storage backend (${localMs.toFixed(0)} ms: start-up + root + copy) + one transaction ` +
        `(${txMs.toFixed(0)} ms) + the node re-hashing the file to check every segment's proof (${checkMs.toFixed(0)} ms) + ` +
        `the node's chain poll interval (${NODE_POLL_MS} ms)`,
      note:
        `median of ${runs} interleaved; 0G runs ${measured.map((ms) => ms.toFixed(0)).join("/")} ms, local ${local.map((ms) => ms.toFixed(0)).join("/")} ms; ` +
        "flai:devnet and hardhat node running beside it; the rest is the SDK's JSON/base64 encoding of 256 segment requests " +
        "and the node decoding them (the storage RPC's wire format)",
    });

    const client = async (cwd: string) => {
      const task = await federatedTask(cwd);
      let best = Infinity;
      for (const account of ["1", "2"]) {
        const { ms } = await timedHardhat(cwd, [
          "flai:fl-client",
          "--task",
          task,
          "--data",
          path.join(FIXTURES, "data.json"),
          "--account",
          account,
        ]);
        best = Math.min(best, ms);
      }
      return best;
    };
    const [clientMs, clientFloor] = [await client(zeroG), await client(localProject)];
    rows.push({
      row: "flai:fl-client on the storage devnet",
      measuredMs: clientMs,
      floorMs: clientFloor,
      floorWhat: "the same command with the local storage backend (same chain work and start-up)",
      note: "best of 2 clients of one task",
    });
    return rows;
  } finally {
    for (const process of running.reverse()) await process.stop("SIGINT");
  }
}

export async function measure(): Promise<Row[]> {
  return [...(await commandRows()), ...(await apiRows())];
}

if (process.argv[1] === import.meta.filename) {
  for (const row of await measure()) console.log(JSON.stringify({ bench: "e2e-storage", ...row, ratio: row.measuredMs / row.floorMs }));
  process.exit(0);
}
