import type { Contract, EventLog, Log, Result } from "ethers";

import { flaiError } from "../errors.js";

/**
 * The logs named `name` among `logs`, decoded with the contract's ABI. queryFilter decodes the
 * events its ABI knows, a receipt's logs are raw: both come through here.
 */
export function eventsNamed(contract: Contract, logs: ReadonlyArray<unknown>, name: string): EventLog[] {
  const found: EventLog[] = [];
  for (const log of logs) {
    if ((log as EventLog).fragment?.name === name) {
      found.push(log as EventLog);
      continue;
    }
    const parsed = contract.interface.parseLog(log as { topics: string[]; data: string });
    if (parsed?.name === name) {
      found.push({ ...(log as object), args: parsed.args, fragment: parsed.fragment } as unknown as EventLog);
    }
  }
  return found;
}

/** A contract's logs for a filter, every one decoded (a log its ABI cannot decode is an error). */
export async function eventsOf(contract: Contract, filter: Parameters<Contract["queryFilter"]>[0]): Promise<EventLog[]> {
  const logs = await contract.queryFilter(filter);
  return logs.map((log: EventLog | Log) => {
    if ("args" in log) return log;
    const parsed = contract.interface.parseLog(log);
    if (parsed === null) throw flaiError(`A log of ${String(log.address)} (tx ${log.transactionHash}) cannot be decoded with its ABI.`);
    return Object.assign(Object.create(Object.getPrototypeOf(log) as object) as object, log, {
      args: parsed.args,
      fragment: parsed.fragment,
    }) as EventLog;
  });
}

/**
 * Decoded arguments (an event's, a struct's) as a plain object by field name. The ABI names every
 * field; the types the callers give `T` are the ABI's (uintN → bigint, bytes32/address → string).
 * This is the one place that trusts them, so no caller reads a field by its position.
 */
export function byName<T>(result: Result): T {
  return result.toObject(true) as T;
}

/** "Job 7 does not exist on network …": one wording for every id read that finds nothing. */
export function unknownIdError(what: "Job" | "Federated task", id: bigint, networkName: string, contract: string, count: bigint): Error {
  const noun = what === "Job" ? "jobs" : "tasks";
  return flaiError(
    `${what} ${id} does not exist on network "${networkName}" (${contract} has ` +
      (count === 0n ? `no ${noun} yet` : `${noun} 1..${count}`) +
      `).`,
  );
}
