// The seal/open benches' shared loop (bench/artifact.ts, bench/envelope.ts): one untimed round trip
// per row first (the first use of a cipher and of fresh memory is not what the figure is about), then
// `runs` interleaved runs, the order reversed every other run so neither row always goes first.

export interface RoundTrip {
  sealMs: number;
  openMs: number;
  ok: boolean;
}

/** Every run's timings of one row; `ok` stays true only if every round trip gave the payload back. */
export interface RoundTripSeries {
  seal: number[];
  open: number[];
  total: number[];
  ok: boolean;
}

export function runRoundTrips<I extends string>(
  impls: readonly (readonly [I, () => RoundTrip])[],
  runs: number,
  results: Map<I, RoundTripSeries>,
  gbps: (ms: number) => number,
): void {
  for (const [, fn] of impls) fn();
  for (let run = 1; run <= runs; run++) {
    for (const [impl, fn] of run % 2 === 1 ? impls : [...impls].reverse()) {
      const { sealMs, openMs, ok } = fn();
      const r = results.get(impl)!;
      r.seal.push(sealMs);
      r.open.push(openMs);
      r.total.push(sealMs + openMs);
      r.ok &&= ok;
      console.log(
        `run ${run}  ${impl.padEnd(32)} seal ${sealMs.toFixed(1).padStart(6)} ms  open ${openMs.toFixed(1).padStart(6)} ms  ` +
          `${gbps(sealMs + openMs).toFixed(2)} GB/s${ok ? "" : "  ROUND TRIP FAILED"}`,
      );
    }
  }
}

/** An empty series per row. */
export function emptySeries<I extends string>(impls: readonly (readonly [I, unknown])[]): Map<I, RoundTripSeries> {
  return new Map(impls.map(([impl]) => [impl, { seal: [], open: [], total: [], ok: true }]));
}

/** The table columns every round-trip row starts with (a bench adds its own ratio and status). */
export const TIMING_HEADER = [
  "implementation".padEnd(32),
  "seal ms".padStart(9),
  "open ms".padStart(9),
  "total ms".padStart(9),
  "GB/s".padStart(7),
];

export function timingCells(r: { impl: string; sealMs: number; openMs: number; totalMs: number; gbps: number }): string[] {
  return [
    r.impl.padEnd(32),
    r.sealMs.toFixed(1).padStart(9),
    r.openMs.toFixed(1).padStart(9),
    r.totalMs.toFixed(1).padStart(9),
    r.gbps.toFixed(2).padStart(7),
  ];
}
