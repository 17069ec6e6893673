import { Wallet, getAddress, hexlify, verifyMessage } from "ethers";

import { flaiError } from "../errors.js";

import type { EnclaveIdentity } from "./identity.js";
import { attestationAuthorityKey } from "./machine.js";

/** What the attestation authority vouches for: this code (measurement) holds these keys. */
export interface EnclaveReport {
  measurement: string;
  signer: string;
  encryptionKey: string;
  issuedAt: string;
  authority: string;
  signature: string;
}

function reportText(r: Omit<EnclaveReport, "authority" | "signature">): string {
  return [
    "hardhat-flai enclave report v1",
    `measurement: ${r.measurement}`,
    `signer: ${getAddress(r.signer)}`,
    `encryptionKey: ${r.encryptionKey}`,
    `issuedAt: ${r.issuedAt}`,
  ].join("\n");
}

export async function devAuthority(): Promise<Wallet> {
  return new Wallet(hexlify(await attestationAuthorityKey()));
}

export async function issueReport(identity: EnclaveIdentity, measurement: string, now = new Date()): Promise<EnclaveReport> {
  const authority = await devAuthority();
  const body = { measurement, signer: identity.signer, encryptionKey: identity.encryptionKey, issuedAt: now.toISOString() };
  return { ...body, authority: authority.address, signature: await authority.signMessage(reportText(body)) };
}

/**
 * Checks the authority's signature and, when given, that the authority is the trusted one and the
 * measurement the expected one. Throws a clear error naming what does not hold.
 */
export function verifyReport(report: EnclaveReport, expect: { authority?: string; measurement?: string } = {}): void {
  let recovered: string;
  try {
    recovered = verifyMessage(reportText(report), report.signature);
  } catch (error) {
    throw flaiError(`The enclave report's signature is malformed: ${(error as Error).message}`);
  }
  if (getAddress(recovered) !== getAddress(report.authority)) {
    throw flaiError(
      `The enclave report is not signed by its authority ${report.authority} (signature recovers ${recovered}); it was altered.`,
    );
  }
  if (expect.authority !== undefined && getAddress(expect.authority) !== getAddress(report.authority)) {
    throw flaiError(`The enclave report is signed by ${report.authority}, not by the trusted authority ${expect.authority}.`);
  }
  if (expect.measurement !== undefined && expect.measurement.toLowerCase() !== report.measurement.toLowerCase()) {
    throw flaiError(
      `The enclave runs code ${report.measurement}, not the expected measurement ${expect.measurement}.`,
    );
  }
}
