import { HardhatPluginError } from "hardhat/plugins";

export const PLUGIN_ID = "hardhat-flai";

/**
 * The one error users see: what was wrong, where, and how to fix it.
 * Hardhat prints a HardhatPluginError's message without a stack trace.
 * `code`, when given, is for code that must tell failures apart (e.g. a verifier telling bytes with
 * another root from an unreachable node): decisions go by it, never by the message's wording.
 */
export function flaiError(message: string, cause?: unknown, opts: { code?: string } = {}): HardhatPluginError {
  const error = new HardhatPluginError(PLUGIN_ID, message, cause instanceof Error ? cause : undefined);
  return opts.code === undefined ? error : Object.assign(error, { code: opts.code });
}

export function isFlaiError(error: unknown): error is HardhatPluginError {
  return HardhatPluginError.isHardhatPluginError(error) && error.pluginId === PLUGIN_ID;
}

/** The code a plugin error was made with (flaiError's opts.code), if any. */
export function flaiErrorCode(error: unknown): string | undefined {
  if (!isFlaiError(error)) return undefined;
  const code = (error as { code?: unknown }).code;
  return typeof code === "string" ? code : undefined;
}
