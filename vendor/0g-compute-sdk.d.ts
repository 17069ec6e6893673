// Types of vendor/0g-compute-sdk.js (built by scripts/bundle-sdks.mjs): the SDK it bundles, unchanged,
// plus the serving contracts' typechain factories the SDK ships but does not export.
import type { InterfaceAbi } from "ethers";

export * from "@0gfoundation/0g-compute-ts-sdk";

interface SdkFactory {
  readonly abi: InterfaceAbi;
  readonly bytecode: string;
}
export declare const LedgerManager__factory: SdkFactory;
export declare const InferenceServing__factory: SdkFactory;
export declare const FineTuningServing__factory: SdkFactory;
