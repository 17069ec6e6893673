// Sealed-artifact bench (run with `npm run bench:artifact` / `npx tsx bench/artifact.ts`).
//
// A `sealArtifact` + `openArtifact` round trip of a 64 MiB payload (src/privacy/artifact.ts: the 0G
// SDK v1 format with an SIV nonce) against its floor: what the format cannot do without, with raw
// node:crypto — per direction one HMAC-SHA256 pass and one AES-256-CTR pass over the payload (1 MiB
// chunks, the chunks kept as update() returns them: no contiguous output). Ours also writes one
// contiguous output per direction (callers hold and upload bytes), so its gap to the floor is that
// copy. Throughput = payload bytes / (seal + open time), in GB/s (10^9 bytes/s). Medians of the runs
// (default 11), interleaved, each round trip checked to give the payload back. Prints a line per run,
// a JSON line per figure, then a table. A bench never asserts: the exit code is 0 even when the target
// is missed (printed as "MISSED").
//
// Options: --runs=N (default 11), --mib=N (payload size, default 64).
import { createCipheriv, createHmac, randomBytes } from "node:crypto";

import { openArtifact, sealArtifact, type ArtifactBinding } from "../src/privacy/artifact.js";
import { option, median } from "./_args.js";
import { emptySeries, runRoundTrips, timingCells, TIMING_HEADER, type RoundTrip } from "./_round-trips.js";

/** Ours may take at most this much longer than the floor (the contiguous output it writes). */
const TARGET_VS_FLOOR = 1.5;
const MiB = 1024 * 1024;

const runs = option("runs", 11);
const mib = option("mib", 64);
const size = mib * MiB;
const payload = new Uint8Array(randomBytes(size));
const key = randomBytes(32);
const binding: ArtifactBinding = {
  chainId: 31337n,
  contract: "0x5FbDB2315678afecb367f032d93F642f64180aa3",
  kind: "task-model",
  id: 1n,
  round: 1,
};

/** One direction of the floor: HMAC-SHA256 over the input, AES-256-CTR over it in 1 MiB chunks. */
function floorPass(input: readonly Uint8Array[]): Buffer[] {
  const hmac = createHmac("sha256", key);
  for (const chunk of input) hmac.update(chunk);
  hmac.digest();
  const cipher = createCipheriv("aes-256-ctr", key, key.subarray(0, 16));
  return input.map((chunk) => cipher.update(chunk));
}

const payloadChunks = Array.from({ length: Math.ceil(size / MiB) }, (_, i) => payload.subarray(i * MiB, (i + 1) * MiB));

function floorRoundTrip(): RoundTrip {
  let start = performance.now();
  const sealed = floorPass(payloadChunks);
  const sealMs = performance.now() - start;
  start = performance.now();
  const opened = floorPass(sealed);
  const openMs = performance.now() - start;
  return { sealMs, openMs, ok: opened.every((c, i) => c.equals(payloadChunks[i]!)) };
}

function oursRoundTrip(): RoundTrip {
  let start = performance.now();
  const sealed = sealArtifact(payload, key, binding);
  const sealMs = performance.now() - start;
  start = performance.now();
  const opened = openArtifact(sealed, key, binding, "The bench payload");
  const openMs = performance.now() - start;
  return { sealMs, openMs, ok: Buffer.from(opened).equals(payload) };
}

type Impl = "floor: HMAC + CTR passes" | "ours sealArtifact+openArtifact";
const IMPLS: [Impl, () => RoundTrip][] = [
  ["floor: HMAC + CTR passes", floorRoundTrip],
  ["ours sealArtifact+openArtifact", oursRoundTrip],
];
const results = emptySeries(IMPLS);
const gbps = (ms: number) => size / 1e9 / (ms / 1000);

runRoundTrips(IMPLS, runs, results, gbps);

const floor = median(results.get("floor: HMAC + CTR passes")!.total);
const rows = IMPLS.map(([impl]) => {
  const r = results.get(impl)!;
  const total = median(r.total);
  const ours = impl.startsWith("ours");
  return {
    bench: "artifact" as const,
    figure: "median",
    impl,
    runs,
    bytes: size,
    sealMs: +median(r.seal).toFixed(2),
    openMs: +median(r.open).toFixed(2),
    totalMs: +total.toFixed(2),
    gbps: +gbps(total).toFixed(3),
    vsFloor: +(total / floor).toFixed(2),
    target: ours ? `≤ ${TARGET_VS_FLOOR}× floor` : null,
    roundTrip: r.ok,
    ok: ours ? r.ok && total <= TARGET_VS_FLOOR * floor : null,
  };
});
for (const row of rows) console.log(JSON.stringify(row));

console.log(
  `\nSealed artifact round trip of a ${mib} MiB payload, median of ${runs} runs (floor: node:crypto HMAC-SHA256 + AES-256-CTR passes)`,
);
console.log([...TIMING_HEADER, "× floor".padStart(8), "  status"].join(" "));
for (const r of rows) {
  const status = !r.roundTrip ? "ROUND TRIP FAILED" : r.ok === null ? "floor" : r.ok ? "ok" : "MISSED";
  console.log([...timingCells(r), r.vsFloor.toFixed(2).padStart(8), `  ${status}`].join(" "));
}
