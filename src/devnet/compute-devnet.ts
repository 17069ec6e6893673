import { Wallet } from "ethers";
import type { NetworkConnection } from "hardhat/types/network";

import { flaiError } from "../errors.js";

import type { ChatAnswerer } from "./compute/chat.js";
import { deployComputeContracts, findComputeContracts, type ComputeContracts } from "./compute/contracts.js";
import { startComputeProvider, type ComputeProviderFaults } from "./compute/provider-server.js";
import type { SettlementRecord } from "./compute/settlement.js";

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
  autoSettle?: boolean;
}

export interface ComputeDevnet {
  url: string;
  providerAddress: string;
  teeSigner: string;
  contracts: ComputeContracts;
  settle(): Promise<SettlementRecord[]>;
  readonly settlements: readonly SettlementRecord[];
  close(): Promise<void>;
}

/**
 * The 0G compute marketplace on the connection's chain: the serving contracts (reused when already
 * at the SDK's built-in addresses, else deployed by account #0) and one provider, account #1,
 * answering with `answer`. Deploy before anything else on a fresh chain to get the built-in
 * addresses; otherwise pass `contracts` to the SDK's createZGComputeNetworkBroker.
 */
export async function startComputeDevnet(connection: NetworkConnection<string>, opts: ComputeDevnetOptions): Promise<ComputeDevnet> {
  const signers = await connection.ethers.getSigners();
  if (signers.length < 2) {
    throw flaiError(
      `The compute devnet needs two accounts on network "${connection.networkName}" (the contract owner and the provider), ` +
        `found ${signers.length}. Use Hardhat's simulated network or a local \`hardhat node\`.`,
    );
  }
  const [owner, providerAccount] = signers as [(typeof signers)[0], (typeof signers)[0]];
  const contracts = (await findComputeContracts(connection.ethers.provider)) ?? (await deployComputeContracts(owner));
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
    autoSettle: opts.autoSettle,
  });
  return {
    url: provider.url,
    providerAddress: provider.providerAddress,
    teeSigner: provider.teeSigner,
    contracts,
    settle: () => provider.settle(),
    get settlements() {
      return provider.settlements;
    },
    close: () => provider.close(),
  };
}
