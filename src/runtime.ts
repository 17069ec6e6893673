import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { FlaiFederated } from "./federated/client.js";
import { FlaiJobs } from "./jobs/client.js";
import type { FlaiMarket } from "./market/client.js";
import { createStorage } from "./storage/create.js";
import type { StorageBackend } from "./storage/types.js";
import { TeeSim } from "./tee/enclave.js";
import type { VerifyItem, VerifyOptions } from "./verify/common.js";
import { verifyJob } from "./verify/jobs.js";
import { verifyRound } from "./verify/rounds.js";

/** `hre.flai`: every part a task uses, usable from scripts and tests too. */
export interface FlaiRuntime {
  /** Storage keyed by 0G Merkle roots: the local folder or 0G Storage (flai.storage.backend). */
  readonly storage: StorageBackend;
  /** The compute-job escrow contract on the chosen network. */
  readonly jobs: FlaiJobs;
  /** The simulated enclave: identity, attestation, isolated training and aggregation. */
  readonly teeSim: TeeSim;
  /** Federated tasks: encrypted client updates, attested aggregation, rewards. */
  readonly federated: FlaiFederated;
  /**
   * The same object as `federated`, under the subsystem's first name (FedAvg is one of its strategies).
   * @deprecated use hre.flai.federated
   */
  readonly fedavg: FlaiFederated;
  /** The 0G serving marketplace: discover, fund, acknowledge, call, verify, settle. */
  readonly market: FlaiMarket;
  /** Third-party checks of on-chain results, from the chain and storage alone. */
  readonly verify: {
    job(jobId: bigint | number | string, opts?: VerifyOptions): Promise<VerifyItem[]>;
    round(taskId: bigint | number | string, round?: number, opts?: VerifyOptions): Promise<VerifyItem[]>;
  };
  /** The same parts over another storage backend (e.g. a local 0G devnet). */
  withStorage(storage: StorageBackend): FlaiRuntime;
}

export function createFlaiRuntime(hre: HardhatRuntimeEnvironment): FlaiRuntime {
  return runtimeOver(hre, createStorage(hre, hre.config.flai));
}

function runtimeOver(hre: HardhatRuntimeEnvironment, storage: StorageBackend): FlaiRuntime {
  const config = hre.config.flai;
  const teeSim = new TeeSim({
    dir: config.enclave.path,
    storage,
    trainingTimeoutSeconds: config.enclave.trainingTimeoutSeconds,
  });
  const jobs = new FlaiJobs(hre, { config, storage, teeSim });
  const federated = new FlaiFederated(hre, { config, storage, teeSim, jobs });
  const market = lazyMarket(hre);
  const runtime: FlaiRuntime = {
    storage,
    jobs,
    teeSim,
    federated,
    fedavg: federated,
    get market() {
      return market();
    },
    verify: {
      // Verification gets only what it reads: storage, and the local enclave (sealed key, measurement).
      job: (jobId, opts) => verifyJob(hre, { storage, teeSim }, jobId, opts),
      round: (taskId, round, opts) => verifyRound(hre, { storage, teeSim }, taskId, round, opts),
    },
    withStorage: (other) => runtimeOver(hre, other),
  };
  return runtime;
}

/** Every public member of T, each a method returning a promise: what a lazy part forwards. */
type Forwarded<T> = { [K in keyof T]: T[K] };

/**
 * `hre.flai.market`, whose module (and under it the 0G compute SDK bundle and its own CommonJS copy
 * of ethers) loads on the first market call, not in every Hardhat command that creates `hre.flai`.
 * Until then `hre.flai.market` is a forwarder: each public method loads the module, makes the one
 * FlaiMarket and calls it (a failed load is retried by the next call); from then on it is that
 * FlaiMarket itself, so a caller holds the real object (e.g. to wrap one of its methods). The
 * forwarder lists every public member (Forwarded<FlaiMarket> fails to typecheck when one is
 * missing); it is typed as the class for callers, and nothing outside reads its private state.
 */
function lazyMarket(hre: HardhatRuntimeEnvironment): () => FlaiMarket {
  let loaded: FlaiMarket | undefined;
  let loading: Promise<FlaiMarket> | undefined;
  const load = () =>
    (loading ??= import("./market/client.js").then(
      ({ FlaiMarket }) => (loaded = new FlaiMarket(hre)),
      (error: unknown) => {
        loading = undefined;
        throw error;
      },
    ));
  const forward = <K extends keyof FlaiMarket>(name: K) =>
    (async (...args: unknown[]) => {
      const target = await load();
      return (target[name] as (...a: unknown[]) => unknown).apply(target, args);
    }) as FlaiMarket[K];
  const forwarder: Forwarded<FlaiMarket> = {
    discover: forward("discover"),
    ledger: forward("ledger"),
    setup: forward("setup"),
    ping: forward("ping"),
    settlementMark: forward("settlementMark"),
    settlement: forward("settlement"),
    unsettledFee: forward("unsettledFee"),
    metadata: forward("metadata"),
    requestHeaders: forward("requestHeaders"),
    revokeTokens: forward("revokeTokens"),
    chat: forward("chat"),
  };
  return () => loaded ?? (forwarder as FlaiMarket);
}
