// Gas bench for FLAIFederated (run with `npm run bench:gas:federated`, or `npm run bench:gas` for both contracts).
//
// Deploys FLAIComputeJobs (used as the enclave registry) and FLAIFederated on Hardhat's simulated network and
// measures steady-state gas: createTask is the 2nd task onward, recordUpdate is a client that is not the first
// of its round, closeRound is the enclave-signed close before aggregation, finalizeRound is measured on rounds
// with 2, 10 and 50 recorded clients (it must be flat: no loops over clients; the result binds the previous
// model and the round's update accumulator), claim is a client that is not the first to claim in its round. Every account involved
// already exists. Prints one JSON line per measurement, then a readable table. A bench never asserts on gas:
// the exit code is 0 even when a target is missed, but the miss is printed as "MISSED".
import { network } from "hardhat";
import { Signature, Wallet, keccak256, toUtf8Bytes } from "ethers";

import { accumulatorSeed, updatesAccumulator } from "../src/federated/accumulator.js";

import { buildCommitment } from "../src/federated/commitment.js";
import { roundCloseDigest, roundResultDigest, type RoundResult } from "../src/federated/eip712.js";
import type { Contract, ContractTransactionResponse } from "ethers";

interface BenchRow {
  bench: "gas";
  contract: "FLAIFederated";
  fn: string;
  gas: number;
  target: number | null;
  reference: number | null;
  ok: boolean;
}

/** Reference: the predecessor PoC's per-client update record cost 178,935 gas. */
const RECORD_REFERENCE = 178_935;
const RECORD_TARGET = 65_000;
const FINALIZE_TARGET = 160_000;
const CLIENT_COUNTS = [2, 10, 50] as const;

const { ethers } = await network.create();
const signers = await ethers.getSigners();
// Checked once here, so a network with fewer accounts fails with this message rather than on `undefined`.
if (signers.length < 3) throw new Error(`the bench needs 3 accounts, the network has ${signers.length}`);
type Signer = (typeof signers)[number];
const [owner, creator, relayer] = signers as [Signer, Signer, Signer, ...Signer[]];
const provider = ethers.provider;

/** The last run of a kind: the steady-state figure. */
function last(runs: number[]): number {
  const gas = runs.at(-1);
  if (gas === undefined) throw new Error("no runs measured");
  return gas;
}

async function gasOf(tx: Promise<ContractTransactionResponse>): Promise<number> {
  const receipt = await (await tx).wait();
  if (receipt === null || receipt.status !== 1) throw new Error("transaction failed");
  return Number(receipt.gasUsed);
}

// --- deployment: registry (FLAIComputeJobs) + FLAIFederated ----------------------------------------
// A fixed attestation authority (the stand-in for a TEE vendor's quote verifier) pinned at deployment.
const authority = new Wallet(keccak256(toUtf8Bytes("flai-bench-attestation-authority")));
const registry = (await (
  await ethers.getContractFactory("FLAIComputeJobs", owner)
).deploy(owner.address, authority.address)) as unknown as Contract;
await registry.waitForDeployment();
const fedDeployed = await (await ethers.getContractFactory("FLAIFederated", owner)).deploy(await registry.getAddress());
await fedDeployed.waitForDeployment();
const fed = fedDeployed as unknown as Contract;
const fedAddress = await fed.getAddress();

// Fixed keys (not random) so that calldata, and hence gas, is reproducible from run to run.
const enclave = new Wallet(keccak256(toUtf8Bytes("flai-bench-federated-enclave")));
const measurement = keccak256(toUtf8Bytes("flai-federated-measurement-v1"));
await gasOf(registry.getFunction("acceptMeasurement")(measurement));
{
  const { timestamp } = (await provider.getBlock("latest"))!;
  const fields = [measurement, enclave.address, keccak256(toUtf8Bytes("flai-bench-x25519")), timestamp, timestamp + 30 * 86400] as const;
  const sig = Signature.from(authority.signingKey.sign(await registry.getFunction("hashEnclaveReport")(...fields)));
  await gasOf(registry.getFunction("registerEnclave")(...fields, sig.r, sig.yParityAndS));
}

const h = (label: string) => keccak256(toUtf8Bytes(label));
const { chainId } = await provider.getNetwork();

// --- clients: deterministic wallets, funded (existing accounts) --------------------------------------
const maxClients = Math.max(...CLIENT_COUNTS);
const clients: Wallet[] = [];
for (let i = 0; i < maxClients; i++) {
  const w = new Wallet(keccak256(toUtf8Bytes(`flai-bench-client-${i}`)), provider);
  await provider.send("hardhat_setBalance", [w.address, "0x56BC75E2D63100000"]); // 100 ETH
  clients.push(w);
}
clients.sort((x, y) => (BigInt(x.address) < BigInt(y.address) ? -1 : 1));

async function signResult(taskId: bigint, round: number, result: RoundResult): Promise<{ r: string; vs: string }> {
  const digest = roundResultDigest({ chainId, contract: fedAddress, taskId, round }, result);
  const onChain: string = await fed.getFunction("hashRoundResult")(taskId, round, result);
  if (onChain !== digest) throw new Error(`EIP-712 digest mismatch: contract ${onChain}, plugin ${digest}`);
  const sig = Signature.from(enclave.signingKey.sign(digest));
  return { r: sig.r, vs: sig.yParityAndS };
}

// --- scenario --------------------------------------------------------------------------------------
const asCreator = fed.connect(creator) as Contract;
const asRelayer = fed.connect(relayer) as Contract;
const pool = ethers.parseEther("1");

async function createTask(i: number): Promise<{ taskId: bigint; gas: number }> {
  const taskId = (await fed.getFunction("taskCount")()) + 1n;
  const gas = await gasOf(
    asCreator.getFunction("createTask")(h(`model-root-${i}`), h(`model-hash-${i}`), 2, 2, 65535, 3600, measurement, enclave.address, {
      value: pool,
    }),
  );
  return { taskId, gas };
}

/** Records `n` clients in round 1 of `taskId`; returns the gas of each record. */
async function recordAll(taskId: bigint, n: number): Promise<number[]> {
  const gas: number[] = [];
  for (let i = 0; i < n; i++) {
    const c = fed.connect(clients[i]!) as Contract;
    gas.push(
      await gasOf(c.getFunction("recordUpdate")(taskId, 1, h(`update-root-${taskId}-${i}`), h(`update-hash-${taskId}-${i}`), 1000 + i)),
    );
  }
  return gas;
}

/** The enclave's signed close of round 1 (the update set is frozen before aggregation); returns its gas. */
async function close(taskId: bigint): Promise<number> {
  const sig = Signature.from(enclave.signingKey.sign(roundCloseDigest({ chainId, contract: fedAddress, taskId, round: 1 })));
  return gasOf(asRelayer.getFunction("closeRound")(taskId, 1, sig.r, sig.yParityAndS));
}

/** Finalizes round 1 of `taskId` (n clients, all accepted, weight = numExamples); returns gas + claim data. */
async function finalize(taskId: bigint, n: number) {
  const recorded = clients.slice(0, n).map((c, i) => ({
    client: c.address,
    updateRoot: h(`update-root-${taskId}-${i}`),
    updateHash: h(`update-hash-${taskId}-${i}`),
    numExamples: 1000 + i,
  }));
  const accumulator = updatesAccumulator(taskId, 1, recorded);
  const onChain = (await fed.getFunction("getRound")(taskId, 1)).updatesAccumulator as string;
  if (onChain !== accumulator || accumulatorSeed(taskId, 1) !== (await fed.getFunction("accumulatorSeed")(taskId, 1))) {
    throw new Error(`accumulator mismatch: contract ${onChain}, plugin ${accumulator}`);
  }
  // The plugin's own commitment code; clients are sorted by address, as it requires.
  const tree = buildCommitment(
    clients.slice(0, n).map((c, i) => ({ client: c.address, updateHash: h(`update-hash-${taskId}-${i}`), weight: BigInt(1000 + i) })),
  );
  const { leaves } = tree;
  const cum = tree.totalWeight;
  const result: RoundResult = {
    previousGlobalHash: (await fed.getFunction("getTask")(taskId)).globalHash as string,
    updatesAccumulator: accumulator,
    updateCount: n,
    globalRoot: h(`global-root-${taskId}`),
    globalHash: h(`global-hash-${taskId}`),
    commitment: tree.root,
    acceptedWeight: cum,
    acceptedCount: n,
    rejectedCount: 0,
    reportRoot: h(`report-${taskId}`),
    metrics: h(`metrics-${taskId}`),
  };
  const { r, vs } = await signResult(taskId, 1, result);
  const gas = await gasOf(asRelayer.getFunction("finalizeRound")(taskId, 1, result, r, vs));
  return { gas, leaves, proofs: leaves.map((_, i) => tree.proof(i)) };
}

// createTask: task 1 pays the one-off taskCount 0 -> 1 write; later tasks are steady state.
const createGas: number[] = [];
const taskIds: bigint[] = [];
for (let i = 0; i <= CLIENT_COUNTS.length; i++) {
  const { taskId, gas } = await createTask(i);
  createGas.push(gas);
  taskIds.push(taskId);
}

// Task 1 is only a warm-up (first task, first records, first finalization); tasks 2.. are measured.
const warmUp = taskIds[0]!;
await recordAll(warmUp, 2);
await close(warmUp);
await finalize(warmUp, 2);

const recordGas: number[][] = [];
const finalizeGas: number[] = [];
let claimGas: number[] = [];
const closeGas: number[] = [];
for (const [k, n] of CLIENT_COUNTS.entries()) {
  const taskId = taskIds[k + 1]!; // taskIds[0] is the warm-up
  recordGas.push(await recordAll(taskId, n));
  closeGas.push(await close(taskId));
  const { gas, leaves, proofs } = await finalize(taskId, n);
  finalizeGas.push(gas);
  if (n === 10) {
    // claims of the first 3 clients of the 10-client round (proof depth 4 for a 10-leaf tree)
    claimGas = [];
    for (let i = 0; i < 3; i++) {
      const l = leaves[i]!;
      const c = fed.connect(clients[i]!) as Contract;
      claimGas.push(await gasOf(c.getFunction("claim")(taskId, 1, l.updateHash, l.weight, l.cumulativeWeightBefore, proofs[i]!)));
    }
  }
}

// The 2nd client of each round is "not the first of its round".
const recordSteady = recordGas.map((g) => g[1]!);
const finalizeSpread = Math.max(...finalizeGas) - Math.min(...finalizeGas);
const FLAT_TOLERANCE = 500; // calldata/memory noise only: no per-client work

const measured: { fn: string; gas: number; target: number | null; reference: number | null; ok?: boolean }[] = [
  { fn: "createTask", gas: last(createGas), target: null, reference: null },
  { fn: "recordUpdate", gas: last(recordSteady), target: RECORD_TARGET, reference: RECORD_REFERENCE },
  { fn: "closeRound", gas: last(closeGas), target: null, reference: null },
  ...CLIENT_COUNTS.map((n, k) => ({
    fn: `finalizeRound(${n} clients)`,
    gas: finalizeGas[k]!, // one per client count, pushed in this order above
    target: FINALIZE_TARGET,
    reference: null,
    ok: finalizeGas[k]! <= FINALIZE_TARGET && finalizeSpread <= FLAT_TOLERANCE,
  })),
  { fn: "claim", gas: last(claimGas), target: null, reference: null },
];

const rows: BenchRow[] = measured.map(({ fn, gas, target, reference, ok }) => ({
  bench: "gas",
  contract: "FLAIFederated",
  fn,
  gas,
  target,
  reference,
  ok: ok ?? (target === null || gas <= target),
}));

for (const row of rows) console.log(JSON.stringify(row));

const pad = (s: string, n: number) => s.padEnd(n);
const padL = (s: string, n: number) => s.padStart(n);
const fmt = (n: number | null) => (n === null ? "-" : n.toLocaleString("en-US"));
console.log("");
console.log(`${pad("function", 28)}${padL("gas", 10)}${padL("target", 10)}${padL("reference", 11)}${padL("vs ref", 9)}  result`);
console.log("-".repeat(76));
for (const row of rows) {
  const vsRef = row.reference === null ? "-" : `${(((row.gas - row.reference) / row.reference) * 100).toFixed(1)}%`;
  const result = row.target === null ? "(no target)" : row.ok ? "ok" : "MISSED";
  console.log(
    `${pad(row.fn, 28)}${padL(fmt(row.gas), 10)}${padL(fmt(row.target), 10)}${padL(fmt(row.reference), 11)}${padL(vsRef, 9)}  ${result}`,
  );
}
console.log("");
console.log(`createTask runs: ${createGas.map(fmt).join(", ")} (first one writes taskCount 0 -> 1)`);
console.log(
  `recordUpdate, 2nd client of each round: ${recordSteady.map(fmt).join(", ")}; all records range ` +
    `${fmt(Math.min(...recordGas.flat()))} .. ${fmt(Math.max(...recordGas.flat()))}`,
);
console.log(
  `finalizeRound with ${CLIENT_COUNTS.join(" / ")} clients: ${finalizeGas.map(fmt).join(" / ")} ` +
    `(spread ${fmt(finalizeSpread)} gas, ${finalizeSpread <= FLAT_TOLERANCE ? "flat" : "NOT FLAT"})`,
);
console.log(`claim runs (10-client round, proof depth 4): ${claimGas.map(fmt).join(", ")}`);

const missed = rows.filter((r) => !r.ok);
if (missed.length > 0) {
  console.log(`MISSED: ${missed.map((r) => `${r.fn} ${fmt(r.gas)} > ${fmt(r.target)}`).join("; ")}`);
} else {
  console.log("all gas targets met");
}
