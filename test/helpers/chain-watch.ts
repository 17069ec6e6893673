import { Contract, Interface, JsonRpcProvider, getAddress, type Log } from "ethers";

import { loadFlaiArtifact } from "../../src/chain/artifact.js";

/** The storage devnet's Flow: one Submit per paid upload (`sender` is the submitter who paid). */
export const FLOW_ABI = new Interface(loadFlaiArtifact("ZgFlow").abi);
const FLOW_EVENTS = FLOW_ABI;

export interface PaidUpload {
  sender: string;
  identity: string;
  blockNumber: number;
}

export interface UpdateRecord {
  round: number;
  client: string;
  updateRoot: string;
  blockNumber: number;
}

/**
 * What the chain shows of a federated task, read from outside every party (the test's own view of
 * `hardhat node`): rounds, updates, claims, and every paid 0G upload (the storage devnet's Flow
 * `Submit` events), so a test can say who paid for what and how often.
 */
export class ChainWatch {
  readonly provider: JsonRpcProvider;
  readonly federated: Contract;
  readonly #flow: string;

  constructor(rpcUrl: string, federated: string, flow: string) {
    // One short poll: the followers' progress is what is being watched.
    this.provider = new JsonRpcProvider(rpcUrl, undefined, { staticNetwork: true, polling: true, pollingInterval: 100, batchMaxCount: 1 });
    this.federated = new Contract(federated, loadFlaiArtifact("FLAIFederated").abi, this.provider);
    this.#flow = getAddress(flow);
  }

  /** Every paid upload so far, in chain order. */
  async paidUploads(): Promise<PaidUpload[]> {
    const logs = await this.provider.getLogs({
      address: this.#flow,
      fromBlock: 0,
      toBlock: "latest",
      topics: [FLOW_EVENTS.getEvent("Submit")!.topicHash],
    });
    return logs.map((log) => {
      const parsed = FLOW_EVENTS.parseLog(log)!;
      return { sender: getAddress(parsed.args[0] as string), identity: parsed.args[1] as string, blockNumber: log.blockNumber };
    });
  }

  async #events(name: string, taskId: bigint, ...topics: unknown[]): Promise<Array<{ log: Log; args: readonly unknown[] }>> {
    const filter = this.federated.filters[name]!(taskId, ...topics);
    const logs = await this.federated.queryFilter(filter, 0, "latest");
    return logs.map((log) => ({ log, args: (log as unknown as { args: readonly unknown[] }).args }));
  }

  async updates(taskId: bigint): Promise<UpdateRecord[]> {
    return (await this.#events("UpdateRecorded", taskId)).map(({ log, args }) => ({
      round: Number(args[1]),
      client: getAddress(args[2] as string),
      updateRoot: args[3] as string,
      blockNumber: log.blockNumber,
    }));
  }

  /** The block each round opened in (RoundOpened), by round. */
  async roundsOpened(taskId: bigint): Promise<Map<number, number>> {
    return new Map((await this.#events("RoundOpened", taskId)).map(({ log, args }) => [Number(args[1]), log.blockNumber]));
  }

  async roundsClosed(taskId: bigint): Promise<Array<{ round: number; updateCount: number }>> {
    return (await this.#events("RoundClosed", taskId)).map(({ args }) => ({ round: Number(args[1]), updateCount: Number(args[2]) }));
  }

  async roundsFinalized(taskId: bigint): Promise<Array<{ round: number; enclave: string; blockNumber: number }>> {
    return (await this.#events("RoundFinalized", taskId)).map(({ log, args }) => ({
      round: Number(args[1]),
      enclave: getAddress(args[2] as string),
      blockNumber: log.blockNumber,
    }));
  }

  async claims(taskId: bigint): Promise<Array<{ round: number; client: string; amount: bigint }>> {
    return (await this.#events("RewardClaimed", taskId)).map(({ args }) => ({
      round: Number(args[1]),
      client: getAddress(args[2] as string),
      amount: args[3] as bigint,
    }));
  }

  async finished(taskId: bigint): Promise<boolean> {
    return (await this.#events("TaskFinished", taskId)).length > 0;
  }

  /**
   * Every transaction `sender` got mined, in order, named by what it called: "FLAIFederated.recordUpdate",
   * "Flow.submit" (a paid 0G upload), "FLAIComputeJobs.registerEnclave", … (the contract's address
   * when it is none of these). Read block by block: this is a test chain of a few hundred blocks.
   */
  async transactionsFrom(
    sender: string,
    contracts: Record<string, { address: string; abi: Interface }>,
  ): Promise<Array<{ call: string; value: bigint }>> {
    const from = getAddress(sender);
    const latest = await this.provider.getBlockNumber();
    const calls: Array<{ call: string; value: bigint }> = [];
    for (let n = 0; n <= latest; n++) {
      const block = await this.provider.getBlock(n, true);
      for (const tx of block?.prefetchedTransactions ?? []) {
        if (getAddress(tx.from) !== from) continue;
        const named = Object.entries(contracts).find(([, c]) => tx.to !== null && getAddress(tx.to) === getAddress(c.address));
        const fn = named?.[1].abi.parseTransaction({ data: tx.data, value: tx.value });
        calls.push({
          call: named === undefined ? `${tx.to ?? "create"}` : `${named[0]}.${fn?.name ?? tx.data.slice(0, 10)}`,
          value: tx.value,
        });
      }
    }
    return calls;
  }

  destroy(): void {
    this.provider.destroy();
  }
}
