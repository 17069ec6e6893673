/**
 * The contracts' field limits, in one place: each is the largest value of the Solidity type of the
 * field it names, so a check before sending refuses what the contract cannot store (ethers would
 * fail to encode it, or the contract would truncate or revert) with a message naming the option.
 * test/core/limits.test.ts reads the compiled ABIs and checks every field below still has the type written
 * here: changing a field's type in a contract fails that test until the limit follows.
 */

/** A contract field: where it is in the ABI and the Solidity type it has there. */
export interface ContractField {
  contract: "FLAIFederated" | "FLAIComputeJobs";
  /** The function whose input carries the field. */
  function: string;
  input: string;
  type: `uint${number}`;
}

export const CONTRACT_FIELDS = {
  rounds: { contract: "FLAIFederated", function: "createTask", input: "rounds", type: "uint16" },
  quorum: { contract: "FLAIFederated", function: "createTask", input: "quorum", type: "uint16" },
  maxClients: { contract: "FLAIFederated", function: "createTask", input: "maxClients", type: "uint16" },
  roundDuration: { contract: "FLAIFederated", function: "createTask", input: "roundDuration", type: "uint32" },
  round: { contract: "FLAIFederated", function: "recordUpdate", input: "round", type: "uint16" },
  numExamples: { contract: "FLAIFederated", function: "recordUpdate", input: "numExamples", type: "uint64" },
  jobDeadline: { contract: "FLAIComputeJobs", function: "submitJob", input: "deadline", type: "uint40" },
} as const satisfies Record<string, ContractField>;

/** The largest value a Solidity `uint<bits>` holds. */
export function uintMax(type: `uint${number}`): bigint {
  return (1n << BigInt(type.slice("uint".length))) - 1n;
}

/** FLAIFederated.createTask's uint16 rounds: 65535. */
export const MAX_ROUNDS = Number(uintMax(CONTRACT_FIELDS.rounds.type));
/** FLAIFederated.createTask's uint16 quorum. */
export const MAX_QUORUM = Number(uintMax(CONTRACT_FIELDS.quorum.type));
/** FLAIFederated.createTask's uint16 maxClients (also the default: rounds then close by the aggregator or the deadline). */
export const MAX_CLIENTS = Number(uintMax(CONTRACT_FIELDS.maxClients.type));
/** FLAIFederated.createTask's uint32 roundDuration, in seconds. */
export const MAX_ROUND_DURATION_SECONDS = Number(uintMax(CONTRACT_FIELDS.roundDuration.type));
/** FLAIComputeJobs.submitJob's uint40 deadline (a timestamp sharing a storage slot with the submitter and reward). */
export const MAX_JOB_DEADLINE = uintMax(CONTRACT_FIELDS.jobDeadline.type);
/** uint64: recordUpdate's numExamples and the round commitment's weights and their running total. */
export const UINT64_MAX = uintMax(CONTRACT_FIELDS.numExamples.type);

/**
 * flai.jobs.deadlineSeconds bounds both a job's deadline (now + seconds, a uint40 timestamp: checked
 * when submitting, since it depends on now) and a federated task's default round duration (a uint32):
 * the config accepts what the narrower of the two, the round duration, can hold.
 */
export const MAX_DEADLINE_SECONDS = MAX_ROUND_DURATION_SECONDS;

/**
 * A task keyring (src/privacy/keyring.ts) is read from storage, where anyone may have put the bytes
 * behind a root: parsing stops at these sizes before JSON.parse sees them. An entry is ~300 bytes of
 * JSON, so 10 000 readers fit in 4 MiB with room to spare.
 */
export const MAX_KEYRING_BYTES = 4 << 20;
export const MAX_KEYRING_ENTRIES = 10_000;
