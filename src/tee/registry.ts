import { getAddress, ZeroHash, type Contract, type EventLog } from "ethers";

import { enclaveRegistered, readRegistrationStruct } from "../chain/jobs-reads.js";
import { flaiError } from "../errors.js";
import { recoverReportAuthority, type EnclaveReportBody } from "./attestation.js";

import { fromCompact } from "./job-result-signature.js";

/** An enclave registration as FLAIComputeJobs stores it (raw: expired or not). */
export interface StoredRegistration {
  measurement: string;
  encryptionKey: string;
  issuedAt: number;
  expiry: number;
}

/** A registration read from the chain and re-verified against the contract's pinned attestation authority. */
export interface VerifiedEnclave extends StoredRegistration {
  signer: string;
  /** The pinned authority whose signature (from the EnclaveRegistered event) was checked. */
  authority: string;
  /** The registerEnclave transaction the report was presented in. */
  txHash: string;
  blockNumber: number;
}

type BlockOverrides = { blockTag?: number };

export async function readRegistration(registry: Contract, signer: string, overrides: BlockOverrides = {}): Promise<StoredRegistration> {
  const { measurement, encryptionKey, issuedAt, expiry } = await readRegistrationStruct(registry, signer, overrides);
  return {
    measurement: measurement.toLowerCase(),
    encryptionKey: encryptionKey.toLowerCase(),
    issuedAt: Number(issuedAt),
    expiry: Number(expiry),
  };
}

/**
 * The EnclaveRegistered event that made `signer`'s registration as stored (at `overrides.blockTag`),
 * with the authority that signed its report. The event carries the whole report and the authority's
 * (r, vs), so this needs neither the contract's code nor any machine-local file to be trusted.
 */
export async function registrationEvent(
  registry: Contract,
  signer: string,
  stored: StoredRegistration,
  toBlock?: number,
): Promise<{ event: EventLog; authority: string } | undefined> {
  const logs = await registry.queryFilter(registry.getEvent("EnclaveRegistered")(signer), 0, toBlock ?? "latest");
  const events = logs.filter((log): log is EventLog => "args" in log);
  const event = events.reverse().find((e) => Number(enclaveRegistered(e).issuedAt) === stored.issuedAt);
  if (event === undefined) {
    return undefined;
  }
  const e = enclaveRegistered(event);
  const body: EnclaveReportBody = {
    measurement: e.measurement,
    signer: getAddress(e.signer),
    encryptionKey: e.encryptionKey,
    issuedAt: Number(e.issuedAt),
    expiry: Number(e.expiry),
  };
  const authority = recoverReportAuthority(body, fromCompact(e.r, e.vs));
  return { event, authority };
}

/**
 * `signer`'s X25519 key as the chain holds it, after checking, from the chain alone: a registration
 * exists, is unexpired at the latest block, its measurement is accepted (and equals `expect.measurement`
 * when given), and the event's report is signed by the authority the contract pins (and equals
 * `expect.authority` when given). Throws a plugin error naming what does not hold.
 */
export async function verifiedEnclave(
  registry: Contract,
  signer: string,
  now: number,
  expect: { measurement?: string; authority?: string } = {},
): Promise<VerifiedEnclave> {
  const address = await registry.getAddress();
  // One round trip for the three reads a client makes before every update it seals: the expected
  // measurement's status is read alongside the registration and used only if the two are equal.
  const expected = expect.measurement?.toLowerCase();
  const [stored, acceptedExpected, pinnedRaw] = await Promise.all([
    readRegistration(registry, signer),
    // A failed read here only means it is made again below, as before.
    expected === undefined
      ? undefined
      : (registry.getFunction("isMeasurementAccepted")(expected) as Promise<boolean>).catch(() => undefined),
    registry.getFunction("attestationAuthority")() as Promise<string>,
  ]);
  if (stored.measurement === ZeroHash) {
    throw flaiError(
      `${signer} is not a registered enclave on FLAIComputeJobs ${address} (never registered, or removed by the owner). ` +
        `Its operator registers it with an authority-signed report: npx hardhat flai:enclave --register.`,
    );
  }
  if (stored.expiry <= now) {
    throw flaiError(
      `Enclave ${signer}'s registration on FLAIComputeJobs ${address} expired at ${new Date(stored.expiry * 1000).toISOString()}; ` +
        `do not encrypt to it. Its operator renews it with a fresh report: npx hardhat flai:enclave --register`,
    );
  }
  const accepted =
    stored.measurement === expected && acceptedExpected !== undefined
      ? acceptedExpected
      : ((await registry.getFunction("isMeasurementAccepted")(stored.measurement)) as boolean);
  if (!accepted) {
    throw flaiError(
      `Enclave ${signer} runs measurement ${stored.measurement}, which the owner of FLAIComputeJobs ${address} does not accept (revoked).`,
    );
  }
  if (expect.measurement !== undefined && expect.measurement.toLowerCase() !== stored.measurement) {
    throw flaiError(`Enclave ${signer} is registered for measurement ${stored.measurement}, not the expected ${expect.measurement}.`);
  }
  const pinned = getAddress(pinnedRaw);
  if (expect.authority !== undefined && getAddress(expect.authority) !== pinned) {
    throw flaiError(
      `FLAIComputeJobs ${address} pins attestation authority ${pinned}, not the authority you trust (${getAddress(expect.authority)}).`,
    );
  }
  const { authority, txHash, blockNumber } = await registrationReport(registry, address, signer, stored);
  if (authority !== pinned) {
    throw flaiError(
      `Enclave ${signer}'s registration (tx ${txHash}) does not verify: ` +
        `its report is signed by ${authority}, not by the pinned attestation authority ${pinned}.`,
    );
  }
  return { signer: getAddress(signer), ...stored, authority, txHash, blockNumber };
}

interface RegistrationReport {
  authority: string;
  txHash: string;
  blockNumber: number;
}

/**
 * Registration events already found and recovered, per provider (one chain), keyed by everything the
 * event was checked against: the registry, the signer and the whole stored registration. A renewed,
 * replaced or removed registration changes the stored fields and so misses; the checks that can change
 * without it (expiry against the chain's clock, measurement revoked, authority re-pinned) are made on
 * every call by verifiedEnclave. What is kept is only the log query and the signature recovery.
 */
const reportCache = new WeakMap<object, Map<string, RegistrationReport>>();

async function registrationReport(
  registry: Contract,
  address: string,
  signer: string,
  stored: StoredRegistration,
): Promise<RegistrationReport> {
  const provider = registry.runner?.provider ?? undefined;
  const key = [address, getAddress(signer), stored.measurement, stored.encryptionKey, stored.issuedAt, stored.expiry].join("|");
  const cached = provider === undefined ? undefined : reportCache.get(provider)?.get(key);
  if (cached !== undefined) return cached;
  const found = await registrationEvent(registry, signer, stored);
  if (found === undefined) {
    throw flaiError(
      `No EnclaveRegistered event of ${signer} on FLAIComputeJobs ${address} matches its stored registration; the node may have pruned its logs.`,
    );
  }
  const { event, authority } = found;
  const same =
    (event.args.measurement as string).toLowerCase() === stored.measurement &&
    (event.args.encryptionKey as string).toLowerCase() === stored.encryptionKey &&
    Number(event.args.expiry as bigint) === stored.expiry;
  if (!same) {
    throw flaiError(
      `Enclave ${signer}'s registration (tx ${event.transactionHash}) does not verify: the event differs from the stored registration.`,
    );
  }
  const report = { authority, txHash: event.transactionHash, blockNumber: event.blockNumber };
  if (provider !== undefined) {
    const forProvider = reportCache.get(provider) ?? new Map<string, RegistrationReport>();
    forProvider.set(key, report);
    reportCache.set(provider, forProvider);
  }
  return report;
}
