// Types of vendor/0g-storage-sdk.js (built by scripts/bundle-sdks.mjs): the SDK it bundles, unchanged.
export * from "@0gfoundation/0g-ts-sdk";
