// Regenerates fixtures/landcover.csv (training, split among clients by flai:fl-run) and
// fixtures/landcover-test.csv (an independent test set from the same distribution) deterministically.
// Run: npx tsx scripts/make-landcover.ts
//
// Synthetic land-cover pixels: four classes with textbook spectral signatures (surface reflectance
// in six Landsat-like bands) plus elevation in metres, so the features live on very different scales.
// A per-pixel illumination factor (terrain shading, haze) scales all bands together and each class
// has its own within-class spread, so the classes overlap: a linear model gets ≈ 90%, not 100%, and
// the class mix is imbalanced (majority baseline ≈ 38%). Split by Dirichlet label skew, most clients
// see only one or two classes, so a client alone cannot classify the rest: federation matters.
import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

import { gaussian, mulberry32 } from "../src/util/prng.js";

const SEED = 0x1a_4dc0;
const TRAIN_ROWS = 2000;
const TEST_ROWS = 600;
const BANDS = ["blue", "green", "red", "nir", "swir1", "swir2"] as const;

interface ClassProfile {
  name: string;
  share: number;
  /** Mean reflectance per band (0–1). */
  reflectance: number[];
  /** Relative within-class spread of each band. */
  spread: number;
  elevation: { mean: number; sd: number };
}

const CLASSES: ClassProfile[] = [
  { name: "water", share: 0.14, reflectance: [0.07, 0.06, 0.04, 0.03, 0.02, 0.015], spread: 0.45, elevation: { mean: 180, sd: 90 } },
  { name: "forest", share: 0.38, reflectance: [0.035, 0.06, 0.04, 0.3, 0.16, 0.075], spread: 0.3, elevation: { mean: 620, sd: 260 } },
  { name: "cropland", share: 0.3, reflectance: [0.05, 0.08, 0.07, 0.33, 0.24, 0.13], spread: 0.3, elevation: { mean: 340, sd: 160 } },
  { name: "urban", share: 0.18, reflectance: [0.09, 0.1, 0.11, 0.2, 0.22, 0.19], spread: 0.28, elevation: { mean: 300, sd: 150 } },
];

const round4 = (v: number) => Math.round(v * 1e4) / 1e4 + 0; // + 0 turns -0 into 0

function pickClass(u: number): ClassProfile {
  let acc = 0;
  for (const c of CLASSES) {
    acc += c.share;
    if (u < acc) return c;
  }
  return CLASSES.at(-1)!;
}

function makeRows(count: number, seed: number): string[] {
  const rand = mulberry32(seed);
  const normal = gaussian(rand);
  const rows: string[] = [];
  for (let i = 0; i < count; i++) {
    const cls = pickClass(rand());
    const illumination = Math.exp(0.25 * normal());
    const bands = cls.reflectance.map((r) => Math.max(0, r * illumination * (1 + cls.spread * normal())));
    const elevation = Math.max(0, cls.elevation.mean + cls.elevation.sd * normal());
    rows.push([...bands.map(round4), Math.round(elevation), cls.name].join(","));
  }
  return rows;
}

const header = [...BANDS, "elevation_m", "label"].join(",");
const out = (name: string) => fileURLToPath(new URL(`../fixtures/${name}`, import.meta.url));
writeFileSync(out("landcover.csv"), [header, ...makeRows(TRAIN_ROWS, SEED)].join("\n") + "\n");
writeFileSync(out("landcover-test.csv"), [header, ...makeRows(TEST_ROWS, SEED + 1)].join("\n") + "\n");
console.log(
  `wrote fixtures/landcover.csv (${TRAIN_ROWS} rows) and fixtures/landcover-test.csv (${TEST_ROWS} rows), classes ${CLASSES.map((c) => c.name).join(", ")}`,
);
