import { sha256Digest } from "../../util/sha256.js";

/**
 * A dstack-shaped attestation document like the real provider's `GET /v1/quote`: `report_data`
 * carries the TEE signer's address (ASCII, NUL-padded to 64 bytes) and `tcb_info.app_compose`
 * hashes to the event log's "compose-hash" entry, which is what the SDK's verifyService checks.
 * There is no hardware quote behind it: `quote` is empty and `devnet` says so.
 */
export function attestationQuote(teeSigner: string, model: string): Record<string, unknown> {
  const reportData = Buffer.alloc(64);
  reportData.write(teeSigner, "ascii");
  const appCompose = JSON.stringify({
    manifest_version: 2,
    name: "hardhat-flai-compute-devnet",
    runner: "docker-compose",
    docker_compose_file: `services:\n  provider:\n    image: "hardhat-flai/compute-devnet:local"\n    environment:\n      MODEL: "${model}"\n`,
  });
  const composeHash = sha256Digest(appCompose);
  return {
    devnet: "hardhat-flai local stand-in: no TEE hardware, not a real attestation",
    signing_address: teeSigner,
    signing_algo: "ecdsa",
    report_data: reportData.toString("base64"),
    quote: "",
    event_log: [{ imr: 3, event_type: 134217729, digest: composeHash, event: "compose-hash", event_payload: composeHash }],
    tcb_info: { app_compose: appCompose },
  };
}
