import path from "node:path";

import { flaiError } from "../errors.js";
import { packageRoot } from "../package-root.js";

import { optionalText } from "./options.js";

/** Datasets shipped in fixtures/: what --dataset names, and the test file that comes with one. */
export const BUNDLED_DATASETS = {
  sample: { data: "data.json" },
  landcover: { data: "landcover.csv", test: "landcover-test.csv" },
} as const satisfies Record<string, { data: string; test?: string }>;

/** --data / --dataset / --test into the data file and the optional test file. */
export function resolveData(args: { data?: string; dataset?: string; test?: string }): { data: string; test?: string } {
  const dataOption = optionalText(args.data, "--data");
  const datasetOption = optionalText(args.dataset, "--dataset");
  const testOption = optionalText(args.test, "--test");
  if (dataOption !== undefined && datasetOption !== undefined) {
    throw flaiError(
      `--data and --dataset both name the data; keep one (--dataset picks a bundled dataset: ${Object.keys(BUNDLED_DATASETS).join(", ")}).`,
    );
  }
  if (dataOption !== undefined) return { data: dataOption, test: testOption };
  const name = datasetOption ?? "sample";
  if (!Object.hasOwn(BUNDLED_DATASETS, name)) {
    throw flaiError(
      `--dataset "${name}" is not bundled; choose one of: ${Object.keys(BUNDLED_DATASETS).join(", ")}, or give a file with --data.`,
    );
  }
  const bundled: { data: string; test?: string } = BUNDLED_DATASETS[name as keyof typeof BUNDLED_DATASETS];
  const fixture = (file: string) => path.join(packageRoot(), "fixtures", file);
  return { data: fixture(bundled.data), test: testOption ?? (bundled.test ? fixture(bundled.test) : undefined) };
}
