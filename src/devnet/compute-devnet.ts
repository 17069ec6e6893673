import { Wallet } from "ethers";
import type { NetworkConnection } from "hardhat/types/network";

import { flaiError } from "../errors.js";

import type { ChatAnswerer } from "./compute/chat.js";
import { deployComputeContracts, findComputeContracts, type ComputeContracts } from "./compute/contracts.js";
import { startComputeProvider, type ComputeProviderFaults } from "./compute/provider-server.js";
import type { SettlementRecord } from "./compute/settlement.js";
import type { SettlementSchedule } from "./compute/settlement-schedule.js";

export interface ComputeDevnetOptions {
  /** Model name registered on-chain and answered for. */
  model: string;
  answer: ChatAnswerer;
  /** TEE signer's private key; default a fresh one per start. */
  teeKey?: string;
  port?: number;
  host?: string;
  inputPrice?: bigint;
  outputPrice?: bigint;
  faults?: ComputeProviderFaults;
  /** When the provider settles fees on-chain (default: in batches, like a real provider). */
  settlement?: SettlementSchedule;
}

export interface ComputeDevnet {
  url: string;
  providerAddress: string;
  teeSigner: string;
  contracts: ComputeContracts;
  settle(): Promise<SettlementRecord[]>;
  /** What the provider says `user` owes it, not yet settled. */
  unsettled(user: string): bigint;
  readonly settlements: readonly SettlementRecord[];
  close(): Promise<void>;
}

/** Account #0 owns the serving contracts, account #1 is the provider. */
async function devnetAccounts(connection: NetworkConnection<string>) {
  const signers = await connection.ethers.getSigners();
  if (signers.length < 2) {
    throw flaiError(
      `The compute devnet needs two accounts on network "${connection.networkName}" (the contract owner and the provider), ` +
        `found ${signers.length}. Use Hardhat's simulated network or a local \`hardhat node\`.`,
    );
  }
  const [owner, providerAccount] = signers as [(typeof signers)[0], (typeof signers)[0]];
  return { owner, providerAccount };
}

/**
 * The serving contracts on the connection's chain: reused when already at the SDK's built-in
 * addresses, else deployed by account #0. Call it before anything else on a fresh chain to get the
 * built-in addresses; a provider can start later with them (`contracts`).
 */
export async function ensureComputeContracts(connection: NetworkConnection<string>): Promise<ComputeContracts> {
  const { owner } = await devnetAccounts(connection);
  return (await findComputeContracts(connection.ethers.provider)) ?? (await deployComputeContracts(owner));
}

/**
 * The 0G compute marketplace on the connection's chain: the serving contracts (`contracts`, or
 * ensureComputeContracts') and one provider, account #1, answering with `answer`. Off the built-in
 * addresses, pass `contracts` to the SDK's createZGComputeNetworkBroker.
 */
export async function startComputeDevnet(
  connection: NetworkConnection<string>,
  opts: ComputeDevnetOptions & { contracts?: ComputeContracts },
): Promise<ComputeDevnet> {
  const { owner, providerAccount } = await devnetAccounts(connection);
  const contracts = opts.contracts ?? (await ensureComputeContracts(connection));
  const provider = await startComputeProvider({
    connection,
    contracts,
    providerSigner: providerAccount,
    ownerSigner: owner,
    teeKey: opts.teeKey ?? Wallet.createRandom().privateKey,
    model: opts.model,
    answer: opts.answer,
    inputPrice: opts.inputPrice,
    outputPrice: opts.outputPrice,
    port: opts.port,
    host: opts.host,
    faults: opts.faults,
    settlement: opts.settlement,
  });
  return {
    url: provider.url,
    providerAddress: provider.providerAddress,
    teeSigner: provider.teeSigner,
    contracts,
    settle: () => provider.settle(),
    unsettled: (user) => provider.unsettled(user),
    get settlements() {
      return provider.settlements;
    },
    close: () => provider.close(),
  };
}
