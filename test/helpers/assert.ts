import { expect } from "chai";
import type { HardhatPluginError } from "hardhat/plugins";

import { isFlaiError } from "../../src/errors.js";
import { recordThrown } from "./error-output.js";

/**
 * Runs `fn` (awaiting it if it returns a promise) and asserts it fails with a hardhat-flai plugin
 * error whose message names every fragment (the useful facts). Returns that error; fails the test
 * if nothing is thrown.
 */
export async function expectFlaiError(fn: () => unknown, ...fragments: string[]): Promise<HardhatPluginError> {
  let thrown: unknown;
  let threw = false;
  try {
    await fn();
  } catch (error) {
    thrown = error;
    threw = true;
  }
  const wanted = `a hardhat-flai plugin error${fragments.length > 0 ? ` naming ${fragments.join(", ")}` : ""}`;
  if (!threw) expect.fail(`expected ${wanted}, but nothing was thrown`);
  expect(isFlaiError(thrown), `expected ${wanted}, got ${describeThrown(thrown)}`).to.equal(true);
  const error = thrown as HardhatPluginError;
  for (const fragment of fragments) expect(error.message).to.contain(fragment);
  // The message as Hardhat's CLI prints it, for the error-output scan (test/e2e/zz-error-output.test.ts).
  recordThrown(error);
  return error;
}

function describeThrown(value: unknown): string {
  if (value instanceof Error) {
    const pluginId = (value as { pluginId?: unknown }).pluginId;
    const from = typeof pluginId === "string" ? ` from plugin "${pluginId}"` : "";
    return `${value.name}${from}: ${value.message}`;
  }
  return String(value);
}
