import { Contract, Interface, JsonRpcProvider, getAddress, type Log } from "ethers";

import { loadFlaiArtifact } from "../../src/jobs/artifact.js";

/** The storage devnet's Flow event: one per paid upload (`sender` is the submitter who paid). */
const FLOW_EVENTS = new Interface([
  "event Submit(address indexed sender, bytes32 indexed identity, uint256 submissionIndex, uint256 startPos, uint256 length, (uint256 length, bytes tags, (bytes32 root, uint256 height)[] nodes) submission)",
]);

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
    const logs = await this.provider.getLogs({ address: this.#flow, fromBlock: 0, toBlock: "latest", topics: [FLOW_EVENTS.getEvent("Submit")!.topicHash] });
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

  destroy(): void {
    this.provider.destroy();
  }
}
