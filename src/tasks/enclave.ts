import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { Ui } from "../ui.js";

/** flai:enclave's arguments as src/task-definitions.ts declares them (an option left out is undefined). */
export interface EnclaveTaskArguments {
  register: boolean;
  json: boolean;
}

export default async function enclave(args: EnclaveTaskArguments, hre: HardhatRuntimeEnvironment) {
  const ui = new Ui({ json: args.json });
  const report = await hre.flai.teeSim.report();
  ui.title("Simulated enclave — attestation report");
  ui.info("measurement", report.measurement);
  ui.info("signer", `${report.signer} (stated by the enclave from its sealed keys; task creators name it with flai:fl-create --enclave)`);
  ui.info("encryptionKey", report.encryptionKey);
  ui.info("issuedAt", new Date(report.issuedAt * 1000).toISOString());
  ui.info("expiry", new Date(report.expiry * 1000).toISOString());
  ui.info(
    "authority",
    `${report.authority} (dev attestation authority of this machine; a deployer pins it with flai:deploy --attestation-authority)`,
  );
  ui.info("signature", report.signature);
  ui.info("sealed in", hre.flai.teeSim.dir);
  let registration;
  if (args.register) {
    registration = await hre.flai.jobs.registerEnclave();
    ui.ok(
      registration.txHashes.length === 0
        ? `Already registered on FLAIComputeJobs (until ${new Date(registration.expiry * 1000).toISOString()})`
        : `Registered on FLAIComputeJobs with a report signed by the pinned authority ${registration.authority}`,
    );
  }
  // The three facts other machines need, at the top level: the deployer pins `authority`, the task
  // creator names `signer`, and everyone can compare `measurement` with their own install's.
  ui.result({ authority: report.authority, signer: report.signer, measurement: report.measurement, report, registration });
}
