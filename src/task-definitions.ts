import { task } from "hardhat/config";
import { ArgumentType } from "hardhat/types/arguments";

const json = { name: "json", description: "Print one JSON document instead of text" } as const;


export const taskDefinitions = [
  task("flai:deploy", "Deploy FLAIComputeJobs (reused if already deployed) and register this machine's enclave")
    .addFlag(json)
    .setAction(() => import("../tasks/deploy.js"))
    .build(),

  task("flai:upload", "Store a file and print its 0G Merkle root")
    .addPositionalArgument({ name: "file", description: "The file to store" })
    .addFlag(json)
    .setAction(() => import("../tasks/upload.js"))
    .build(),

  task("flai:download", "Fetch a stored file by its 0G root, verified, into a new file")
    .addPositionalArgument({ name: "root", description: "The file's 0G Merkle root (0x + 64 hex)" })
    .addPositionalArgument({ name: "out", description: "Where to write it (must not exist)" })
    .addFlag(json)
    .setAction(() => import("../tasks/download.js"))
    .build(),

  task("flai:submit", "Store data + model files and submit a compute job that escrows a reward")
    .addOption({ name: "data", description: "Dataset file (JSON or CSV) or its 0G root", defaultValue: "" })
    .addOption({ name: "model", description: "Model spec file (JSON) or its 0G root", defaultValue: "" })
    .addOption({ name: "reward", description: "Reward in 0G, e.g. 0.01", defaultValue: "" })
    .addOption({
      name: "deadline",
      description: "Seconds until the submitter may cancel (default: flai.jobs.deadlineSeconds)",
      type: ArgumentType.INT,
      defaultValue: 0,
    })
    .addFlag(json)
    .setAction(() => import("../tasks/submit.js"))
    .build(),

  task("flai:train", "Train a job inside the simulated enclave and write the signed result")
    .addOption({ name: "job", description: "Job id", defaultValue: "" })
    .addOption({ name: "out", description: "Result file (default .flai/results/job-<id>.json)", defaultValue: "" })
    .addOption({ name: "payee", description: "Who the reward goes to (default: your account)", defaultValue: "" })
    .addFlag({ name: "complete", description: "Also complete the job on-chain with the result" })
    .addFlag(json)
    .setAction(() => import("../tasks/train.js"))
    .build(),

  task("flai:complete", "Complete a job with a signed result file written by flai:train")
    .addOption({ name: "job", description: "Job id", defaultValue: "" })
    .addOption({ name: "result", description: "Result file from flai:train", defaultValue: "" })
    .addFlag(json)
    .setAction(() => import("../tasks/complete.js"))
    .build(),

  task("flai:job", "Read a job from the chain")
    .addPositionalArgument({ name: "id", description: "Job id" })
    .addFlag(json)
    .setAction(() => import("../tasks/job.js"))
    .build(),

  task("flai:verify", "Check an on-chain result from the chain and storage alone: a compute job, or a federated task's rounds")
    .addOption({ name: "job", description: "Compute job id", defaultValue: "" })
    .addOption({ name: "task", description: "Federated task id", defaultValue: "" })
    .addOption({ name: "round", description: "Round of --task (default: every finalized round)", type: ArgumentType.INT, defaultValue: 0 })
    .addFlag(json)
    .setAction(() => import("../tasks/verify.js"))
    .build(),

  task("flai:enclave", "Print the simulated enclave's attestation report")
    .addFlag({ name: "register", description: "Also register it on FLAIComputeJobs (contract owner only)" })
    .addFlag(json)
    .setAction(() => import("../tasks/enclave.js"))
    .build(),

  ...federatedTasks(),

  task("flai:market-discover", "List 0G serving providers: model, endpoint, prices in 0G")
    .addFlag(json)
    .setAction(() => import("../tasks/market-discover.js"))
    .build(),

  task("flai:market-setup", "Ensure the compute ledger holds enough 0G and acknowledge a provider (idempotent)")
    .addOption({ name: "ledger", description: "0G the ledger should hold (default FLAI_LEDGER_OG or 0.10)", defaultValue: "" })
    .addOption({ name: "provider", description: "Provider address (default FLAI_PROVIDER or the first listed)", defaultValue: "" })
    .addFlag(json)
    .setAction(() => import("../tasks/market-setup.js"))
    .build(),

  task("flai:market-ping", "A signed, paid chat request to a provider: verify the answer, show the ledger before/after")
    .addOption({ name: "provider", description: "Provider address (default FLAI_PROVIDER or the first listed)", defaultValue: "" })
    .addOption({ name: "prompt", description: "Prompt (default FLAI_PROMPT)", defaultValue: "" })
    .addFlag(json)
    .setAction(() => import("../tasks/market-ping.js"))
    .build(),

  task("flai:market-compute", "The whole marketplace flow: discover → setup → headers → request → verify → settlement")
    .addOption({ name: "provider", description: "Provider address (default FLAI_PROVIDER or the first listed)", defaultValue: "" })
    .addOption({ name: "prompt", description: "Prompt (default FLAI_PROMPT)", defaultValue: "" })
    .addOption({ name: "ledger", description: "0G the ledger should hold (default FLAI_LEDGER_OG or 0.10)", defaultValue: "" })
    .addFlag(json)
    .setAction(() => import("../tasks/market-compute.js"))
    .build(),

  task("flai:devnet", "Serve the local 0G stand-ins (storage: Flow/Market + indexer/node; compute: serving contracts + provider) until Ctrl-C")
    .addOption({ name: "port", description: "Indexer + storage node port", type: ArgumentType.INT, defaultValue: 5678 })
    .addOption({ name: "computePort", description: "Compute provider port", type: ArgumentType.INT, defaultValue: 5679 })
    .addOption({ name: "model", description: "Serve this federated task's global model (default: the sample model)", defaultValue: "" })
    .addOption({ name: "rpcPort", description: "Chain RPC port (in-process network only)", type: ArgumentType.INT, defaultValue: 8545 })
    .addFlag(json)
    .setAction(() => import("../tasks/devnet.js"))
    .build(),

  task("flai:demo", "Run the whole PoC flow: storage → job → enclave training → attested completion → read back")
    .addOption({ name: "reward", description: "Reward in 0G", defaultValue: "0.01" })
    .addOption({ name: "storage", description: '"local" (default) or "devnet": uploads through the 0G SDK to a local storage devnet', defaultValue: "local" })
    .addFlag(json)
    .setAction(() => import("../tasks/demo.js"))
    .build(),
];

function federatedTasks() {
  const strategyOptions = (b: ReturnType<typeof task>) =>
    b
      .addOption({ name: "strategy", description: "fedavg | fedprox | median | trimmed-mean", defaultValue: "fedavg" })
      .addOption({ name: "clip", description: "Clip each update to this L2 norm", type: ArgumentType.FLOAT, defaultValue: 0 })
      .addOption({ name: "noise", description: "Central DP: Gaussian noise multiplier (needs --clip)", type: ArgumentType.FLOAT, defaultValue: 0 })
      .addOption({ name: "trim", description: "trimmed-mean: fraction trimmed from each end", type: ArgumentType.FLOAT, defaultValue: 0 })
      .addOption({ name: "localIterations", description: "Client L-BFGS iterations per round (default 25)", type: ArgumentType.INT, defaultValue: 0 })
      .addOption({ name: "mu", description: "fedprox: proximal term strength (default 0.01)", type: ArgumentType.FLOAT, defaultValue: 0 });
  return [
    strategyOptions(task("flai:fl-create", "Create a federated task: initial global model, rounds, quorum, reward pool, enclave"))
      .addOption({ name: "model", description: "Model spec file (or root)", defaultValue: "" })
      .addOption({ name: "evaluation", description: "Held-out dataset file (or root) the enclave evaluates on", defaultValue: "" })
      .addOption({ name: "rounds", description: "Number of rounds", type: ArgumentType.INT, defaultValue: 3 })
      .addOption({ name: "quorum", description: "Minimum accepted updates per round", type: ArgumentType.INT, defaultValue: 2 })
      .addOption({ name: "roundDuration", description: "Seconds a round accepts updates (default flai.jobs.deadlineSeconds)", type: ArgumentType.INT, defaultValue: 0 })
      .addOption({ name: "reward", description: "Reward pool in 0G", defaultValue: "" })
      .addFlag(json)
      .setAction(() => import("../tasks/fl-create.js"))
      .build(),

    task("flai:fl-client", "One client's round: train locally, encrypt to the enclave, upload, record on-chain")
      .addOption({ name: "task", description: "Federated task id", defaultValue: "" })
      .addOption({ name: "data", description: "The client's local dataset (JSON or CSV)", defaultValue: "" })
      .addOption({ name: "account", description: "Index of the network account acting as the client", type: ArgumentType.INT, defaultValue: 0 })
      .addFlag(json)
      .setAction(() => import("../tasks/fl-client.js"))
      .build(),

    task("flai:aggregate", "Aggregate a round inside the enclave and finalize it on-chain (resumable)")
      .addOption({ name: "task", description: "Federated task id", defaultValue: "" })
      .addOption({ name: "round", description: "Round (default: the current one)", type: ArgumentType.INT, defaultValue: 0 })
      .addFlag(json)
      .setAction(() => import("../tasks/aggregate.js"))
      .build(),

    task("flai:fl-status", "Show a federated task and its rounds")
      .addOption({ name: "task", description: "Federated task id", defaultValue: "" })
      .addFlag(json)
      .setAction(() => import("../tasks/fl-status.js"))
      .build(),

    task("flai:fl-claim", "Claim a client's reward for a finalized round (pull payment, proven from the commitment)")
      .addOption({ name: "task", description: "Federated task id", defaultValue: "" })
      .addOption({ name: "round", description: "Round", type: ArgumentType.INT, defaultValue: 0 })
      .addOption({ name: "account", description: "Index of the client's account", type: ArgumentType.INT, defaultValue: 0 })
      .addFlag(json)
      .setAction(() => import("../tasks/fl-claim.js"))
      .build(),

    strategyOptions(task("flai:fl-run", "Simulate a whole federated run with N local clients (distinct accounts) and write a report"))
      .addOption({ name: "clients", description: "Number of clients", type: ArgumentType.INT, defaultValue: 5 })
      .addOption({ name: "rounds", description: "Number of rounds", type: ArgumentType.INT, defaultValue: 5 })
      .addOption({ name: "data", description: "Dataset to split (default: the sample data.json)", defaultValue: "" })
      .addOption({ name: "partition", description: "iid | dirichlet", defaultValue: "iid" })
      .addOption({ name: "alpha", description: "Dirichlet concentration (default 0.5)", type: ArgumentType.FLOAT, defaultValue: 0 })
      .addOption({ name: "seed", description: "Seed of the split", type: ArgumentType.INT, defaultValue: 1 })
      .addOption({ name: "reward", description: "Reward pool in 0G", defaultValue: "1" })
      .addOption({ name: "report", description: "HTML report path (default .flai/reports/fl-run-task-<id>.html)", defaultValue: "" })
      .addFlag(json)
      .setAction(() => import("../tasks/fl-run.js"))
      .build(),
  ];
}
