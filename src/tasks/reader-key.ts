import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { useConnection } from "../chain/connection.js";
import { Ui } from "../ui.js";
import { registeredReaderKey } from "../privacy/reader-registry.js";
import { readerOfSigner } from "../federated/task-access.js";

import { accountAt } from "../cli/accounts.js";

/** flai:reader-key's arguments as src/task-definitions.ts declares them. */
export interface ReaderKeyTaskArguments {
  account: number;
  register: boolean;
  json: boolean;
}

/**
 * An account's reader key (derived from its own private key, nothing new to keep): printed, and
 * registered on-chain with --register, so a private task's creator can admit the account
 * (flai:fl-create --clients / flai:fl-admit --clients).
 */
export default async function readerKey(args: ReaderKeyTaskArguments, hre: HardhatRuntimeEnvironment) {
  const ui = new Ui({ json: args.json });
  const connection = await useConnection(hre);
  const signer = await accountAt(connection, args.account);
  const deployment = await hre.flai.jobs.deployment({ connection });
  const me = await readerOfSigner(connection, signer);
  const before = await registeredReaderKey(connection, deployment.address, me.address);
  if (args.register) await hre.flai.federated.registerReaderKey({ signer, connection });
  const registered = args.register || before === me.publicKey;
  ui.ok(`Reader key of ${me.address}: ${me.publicKey}`);
  ui.info(
    "on-chain",
    registered
      ? `registered on FLAIComputeJobs ${deployment.address}${args.register && before !== me.publicKey ? " (now)" : ""}`
      : `not registered${before === undefined ? "" : ` (the chain holds another key, ${before})`}: run again with --register`,
  );
  if (registered) ui.line(`A task's creator admits this account with: --clients ${me.address}`);
  ui.result({ account: me.address, readerKey: me.publicKey, registered, registeredNow: args.register && before !== me.publicKey });
}
