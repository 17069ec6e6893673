import { HardhatPluginError } from "hardhat/plugins";

export const PLUGIN_ID = "hardhat-flai";

/**
 * The one error users see: what was wrong, where, and how to fix it.
 * Hardhat prints a HardhatPluginError's message without a stack trace.
 */
export function flaiError(message: string, cause?: unknown): HardhatPluginError {
  return new HardhatPluginError(PLUGIN_ID, message, cause instanceof Error ? cause : undefined);
}

export function isFlaiError(error: unknown): error is HardhatPluginError {
  return HardhatPluginError.isHardhatPluginError(error) && error.pluginId === PLUGIN_ID;
}
