import type { Contract, ContractTransactionReceipt, ContractTransactionResponse } from "ethers";

import { flaiError, isFlaiError } from "../errors.js";
import { inAccountOrder } from "../util/account-queue.js";
import { feeOverrides } from "./fee-data.js";
import { decodeRevert } from "./revert.js";

export type RevertExplainer = (revert: { name: string; args: readonly unknown[] }) => string | undefined;

/** Sends a transaction and waits for it; a revert comes back as a clear error naming the contract's reason. */
export async function sendTx(
  contract: Contract,
  contractName: string,
  method: string,
  args: unknown[],
  { value, explain, gasHeadroom }: { value?: bigint; explain?: RevertExplainer; gasHeadroom?: bigint } = {},
): Promise<ContractTransactionReceipt> {
  try {
    // Fees are set here, not left to the wallet: on 0G the suggested tip is below what the mempool takes.
    const send = async () => {
      const overrides: Record<string, bigint> = {
        ...(await feeOverrides(contract.runner?.provider)),
        ...(value === undefined ? {} : { value }),
      };
      if (gasHeadroom !== undefined) {
        // The estimate is for the state now; others' transactions mined first can make this one take
        // a costlier path (the maxClients-th recordUpdate also closes the round), which would run out of gas.
        overrides.gasLimit = (await contract.getFunction(method).estimateGas(...args, overrides)) + gasHeadroom;
      }
      const tx = (await contract.getFunction(method)(...args, overrides)) as ContractTransactionResponse;
      const receipt = await tx.wait();
      if (receipt === null) {
        throw flaiError(`Transaction ${tx.hash} (${method}) was dropped before it was mined; try again.`);
      }
      return receipt;
    };
    // One transaction at a time per sending account, so nonces go out in order (see account-queue.ts).
    const from = await senderOf(contract);
    return await (from === undefined ? send() : inAccountOrder(from, send));
  } catch (error) {
    const revert = decodeRevert(error, contract.interface);
    if (revert !== undefined) {
      const reason = explain?.(revert) ?? `${revert.name}(${revert.args.map(String).join(", ")})`;
      throw flaiError(`${method} was rejected by ${contractName}: ${reason}`, error);
    }
    if (isFlaiError(error)) throw error;
    // Not a revert: the RPC, the signer or the network failed. The transaction may or may not have
    // gone out, so the user must look before sending it again.
    const why = error instanceof Error ? error.message.split("\n")[0] : String(error);
    throw flaiError(
      `Sending ${method} to ${contractName} at ${String(contract.target)} failed before a receipt came back: ${why}. ` +
        `Check that the network's RPC is reachable and the account is funded; if the transaction was sent, ` +
        `its effect shows on-chain (flai:job / flai:fl-status), so look there before retrying.`,
      error,
    );
  }
}

/** The account a contract's runner sends from, when it is a signer. */
async function senderOf(contract: Contract): Promise<string | undefined> {
  const runner = contract.runner as { getAddress?: () => Promise<string> } | null;
  return typeof runner?.getAddress === "function" ? await runner.getAddress() : undefined;
}
