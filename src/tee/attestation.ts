import { Signature, TypedDataEncoder, Wallet, getAddress, hexlify, isHexString, recoverAddress } from "ethers";

import { flaiError } from "../errors.js";

import { attestationAuthorityKey } from "./machine.js";

/** What the enclave itself states (from its sealed keys, inside the enclave boundary). */
export interface EnclaveKeys {
  signer: string;
  /** X25519 public key, 32 bytes hex. */
  encryptionKey: string;
}

/** What the attestation authority vouches for: this code (measurement) holds these keys, in this window. */
export interface EnclaveReportBody extends EnclaveKeys {
  measurement: string;
  /** Unix seconds. */
  issuedAt: number;
  /** Unix seconds; the report (and a registration made with it) is void from this second on. */
  expiry: number;
}

export interface EnclaveReport extends EnclaveReportBody {
  authority: string;
  /** The authority's EIP-712 signature over the body (65 bytes hex). */
  signature: string;
}

/**
 * The authority signs under a domain bound to no chain and no contract: a report states a fact about an
 * enclave, true wherever it is presented. FLAIComputeJobs checks it against the authority it pins.
 */
export const ATTESTATION_DOMAIN = { name: "hardhat-flai attestation", version: "1" } as const;
export const ENCLAVE_REPORT_TYPES = {
  EnclaveReport: [
    { name: "measurement", type: "bytes32" },
    { name: "signer", type: "address" },
    { name: "encryptionKey", type: "bytes32" },
    { name: "issuedAt", type: "uint64" },
    { name: "expiry", type: "uint64" },
  ],
};

/** How long the simulated authority's reports are valid (a real verifier's TCB info lasts about as long). */
export const REPORT_VALIDITY_SECONDS = 30 * 24 * 3600;

export function enclaveReportDigest(body: EnclaveReportBody): string {
  return TypedDataEncoder.hash(ATTESTATION_DOMAIN, ENCLAVE_REPORT_TYPES, {
    measurement: body.measurement,
    signer: body.signer,
    encryptionKey: body.encryptionKey,
    issuedAt: body.issuedAt,
    expiry: body.expiry,
  });
}

/** The contract's (measurement, signer, encryptionKey, issuedAt, expiry, r, vs) arguments for a report. */
export function registrationArgs(report: EnclaveReport): [string, string, string, number, number, string, string] {
  const sig = Signature.from(report.signature);
  return [report.measurement, report.signer, report.encryptionKey, report.issuedAt, report.expiry, sig.r, sig.yParityAndS];
}

/** This machine's simulated attestation authority: the stand-in for a TEE vendor's quote verifier. */
export async function devAuthority(): Promise<Wallet> {
  return new Wallet(hexlify(await attestationAuthorityKey()));
}

/** devAuthority's address: the default authority a new deployment pins (chain/deployment asks for it). */
export async function devAuthorityAddress(): Promise<string> {
  return (await devAuthority()).address;
}

/** The authority signs a report over keys that came out of the enclave, never over a host file. */
export function signReport(authority: Pick<Wallet, "address" | "signingKey">, body: EnclaveReportBody): EnclaveReport {
  const signature = authority.signingKey.sign(enclaveReportDigest(body)).serialized;
  return { ...body, signer: getAddress(body.signer), authority: authority.address, signature };
}

/** A report from this machine's dev authority, valid from `now` (unix seconds) for REPORT_VALIDITY_SECONDS. */
export async function issueReport(keys: EnclaveKeys, measurement: string, now: number): Promise<EnclaveReport> {
  const issuedAt = Math.floor(now);
  return signReport(await devAuthority(), {
    measurement,
    signer: keys.signer,
    encryptionKey: keys.encryptionKey,
    issuedAt,
    expiry: issuedAt + REPORT_VALIDITY_SECONDS,
  });
}

/** Who signed the report's body (throws a plugin error when the signature is malformed). */
export function recoverReportAuthority(body: EnclaveReportBody, signature: string): string {
  try {
    return getAddress(recoverAddress(enclaveReportDigest(body), signature));
  } catch (error) {
    throw flaiError(`The enclave report's signature is malformed: ${(error as Error).message}`);
  }
}

/**
 * Checks the authority's signature and, when given, that the authority is the trusted one, the
 * measurement the expected one and the report still valid at `now` (unix seconds). Throws a clear
 * error naming what does not hold.
 */
export function verifyReport(report: EnclaveReport, expect: { authority?: string; measurement?: string; now?: number } = {}): void {
  if (!isHexString(report.encryptionKey, 32) || !isHexString(report.measurement, 32)) {
    throw flaiError("The enclave report's measurement and encryptionKey must each be 32 bytes hex (0x + 64 hex digits).");
  }
  const recovered = recoverReportAuthority(report, report.signature);
  if (recovered !== getAddress(report.authority)) {
    throw flaiError(
      `The enclave report is not signed by its authority ${report.authority} (signature recovers ${recovered}); it was altered.`,
    );
  }
  if (expect.authority !== undefined && getAddress(expect.authority) !== recovered) {
    throw flaiError(
      `The enclave report is signed by ${recovered}, not by the trusted attestation authority ${getAddress(expect.authority)}.`,
    );
  }
  if (expect.measurement !== undefined && expect.measurement.toLowerCase() !== report.measurement.toLowerCase()) {
    throw flaiError(`The enclave runs code ${report.measurement}, not the expected measurement ${expect.measurement}.`);
  }
  if (expect.now !== undefined && report.expiry <= expect.now) {
    throw flaiError(
      `The enclave report expired at ${new Date(report.expiry * 1000).toISOString()}. Ask the attestation authority for a new one ` +
        `(npx hardhat flai:enclave --register).`,
    );
  }
}
