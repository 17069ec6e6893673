// The interface every bench/e2e/<row>.ts implements (issue 14): `export async function measure():
// Promise<Row[]>`. run.ts runs each file in its own process and prints ratio = measuredMs / floorMs.

/** One end-to-end figure next to its floor, measured in the same run. */
export interface Row {
  /** What was measured, as a whole command or a whole API call. */
  row: string;
  measuredMs: number;
  /** The least the same work can take here (see floorWhat). */
  floorMs: number;
  floorWhat: string;
  note?: string;
}

/** What a row file exports. */
export type Measure = () => Promise<Row[]>;
