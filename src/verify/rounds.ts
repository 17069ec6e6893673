import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { Contract, getAddress, type EventLog } from "ethers";

import { flaiError } from "../errors.js";
import { loadFlaiArtifact } from "../chain/artifact.js";
import type { Deployment } from "../chain/deployment.js";
import { taskCreated } from "../chain/federated-reads.js";

import { eventsOf, parseId, verdictItem, verifierChain, type VerifierParts, type VerifyItem, type VerifyOptions } from "./common.js";
import { readFinalized, readRecorded, readRoundState, readTask, type RoundChain } from "./round-chain.js";
import {
  checkCommitment,
  checkFinalizedEvent,
  checkGlobalModel,
  checkModelChain,
  checkRegistration,
  checkReport,
  checkSignature,
  checkUpdateSet,
  missingFinalizedEvent,
} from "./round-checks.js";
import { reExecute } from "./round-reexecute.js";
import { checkTestScore, type TestSets } from "./round-score.js";
import { roundKeys, type RoundKeys } from "./round-keys.js";
import { checkUpdates, readCiphertexts } from "./round-updates.js";

/**
 * Checks finalized rounds of a federated task from the chain and storage alone (all finalized rounds
 * when `round` is omitted): the event, the global model and report by their roots and hashes, the
 * commitment rebuilt from the report, every recorded update's ciphertext, the model chain, the
 * enclave's signature and registration, the model's score on the test set (a private task's with a
 * reader key); and, on the enclave owner's machine, the aggregation itself.
 */
export async function verifyRound(
  hre: HardhatRuntimeEnvironment,
  parts: VerifierParts,
  taskId: bigint | number | string,
  round?: number,
  opts: VerifyOptions = {},
): Promise<VerifyItem[]> {
  const id = parseId(taskId, "task");
  const { connection, deployment } = await verifierChain(hre, opts.connection);
  const chain = await readRoundChain(deployment, connection.ethers.provider, connection.networkName, id, round);
  const rounds = round !== undefined ? [round] : [...chain.finalized.keys()].sort((a, b) => a - b);
  if (rounds.length === 0) {
    return [verdictItem(`task ${id}`, "cannot check", `task ${id} has no finalized round yet`)];
  }
  // A private task's models open only with a reader key this verifier holds (--account, or the enclave's here).
  const keys = await roundKeys(parts.storage, chain, { connection, account: opts.account, enclaveDir: parts.teeSim.dir });
  const items: VerifyItem[] = [];
  const testSets: TestSets = new Map();
  for (const r of rounds) {
    const checked = await verifyOne(parts, chain, r, { keys, testSets });
    items.push(...checked.map((i) => ({ ...i, item: `round ${r}: ${i.item}` })));
  }
  return items;
}

/** The task as the chain states it (refusing an unknown task or round), with its finalized rounds. */
async function readRoundChain(
  deployment: Deployment,
  provider: Contract["runner"],
  networkName: string,
  id: bigint,
  round: number | undefined,
): Promise<RoundChain> {
  const federated = new Contract(deployment.federated, loadFlaiArtifact("FLAIFederated").abi, provider);
  const task = await readTask(federated, id, networkName, deployment.federated);
  if (round !== undefined && (!Number.isInteger(round) || round < 1 || round > task.rounds)) {
    throw flaiError(`Task ${id} has rounds 1..${task.rounds}; there is no round ${round}.`);
  }
  const registryAddress = getAddress((await federated.getFunction("registry")()) as string);
  const registry = new Contract(registryAddress, loadFlaiArtifact("FLAIComputeJobs").abi, provider);
  const [created] = await eventsOf(federated, federated.getEvent("TaskCreated")(id));
  if (created === undefined) {
    throw flaiError(`Task ${id} exists on FLAIFederated ${deployment.federated} but the node returns no TaskCreated event for it.`);
  }
  const finalized = await readFinalized(federated, id);
  return {
    deployment,
    federated,
    registry,
    taskId: id,
    task,
    initial: initialModel(created),
    finalized,
    lastFinalized: Math.max(0, ...finalized.keys()),
  };
}

/** One round's checks, in order (items named without the round; verifyRound prefixes them). */
async function verifyOne(
  { storage, teeSim }: VerifierParts,
  chain: RoundChain,
  round: number,
  { keys, testSets }: { keys: RoundKeys; testSets: TestSets },
): Promise<VerifyItem[]> {
  const fin = chain.finalized.get(round);
  const state = await readRoundState(chain, round);
  if (fin === undefined) return [missingFinalizedEvent(chain.taskId, round, state)];
  const res = fin.result;
  const items: VerifyItem[] = [checkFinalizedEvent(chain, round, fin, state)];
  const global = await checkGlobalModel(storage, round, res, keys);
  const modelChain = await checkModelChain(storage, chain, round, global.model, keys);
  const report = await checkReport(storage, { chain, round, res, start: modelChain.start, next: global.model });
  items.push(global.item, modelChain.item, report.item, checkCommitment(report.report, res));

  const recorded = await readRecorded(chain, round);
  items.push(checkUpdateSet(chain, round, res, recorded));
  const ciphertexts = await readCiphertexts(storage, recorded);
  items.push(...checkUpdates(report.report, recorded, ciphertexts));

  const signature = await checkSignature(chain, round, fin);
  items.push(signature.item, await checkRegistration(chain, fin));
  items.push(await checkTestScore(storage, global.model, keys, testSets));
  const { start, startBytes, startStored } = modelChain;
  const inputs = {
    chain,
    round,
    fin,
    start,
    startBytes,
    startStored,
    keyrings: keys.keyrings,
    next: global.model,
    recorded,
    ciphertexts,
    calldataSignature: signature.signature,
  };
  items.push(await reExecute(storage, teeSim.dir, inputs));
  return items;
}

/** The task's initial global model, as TaskCreated names it. */
function initialModel(created: EventLog): { root: string; hash: string } {
  const { initialModelRoot, initialModelHash } = taskCreated(created);
  return { root: initialModelRoot.toLowerCase(), hash: initialModelHash.toLowerCase() };
}
