import { task } from "hardhat/config";
import { ArgumentType } from "hardhat/types/arguments";

const json = { name: "json", description: "Print one JSON document instead of text" } as const;

// Options without a real default are declared *_WITHOUT_DEFAULT: their value is undefined when not
// given, so help shows no placeholder default and a typed value (even "0") is never mistaken for
// "unset". Numbers among them are parsed by the actions (src/cli/options.ts), which name the option.
const text = ArgumentType.STRING_WITHOUT_DEFAULT;
const file = ArgumentType.FILE_WITHOUT_DEFAULT;
// A task with one subject (a job or a federated task) takes its id positionally (`flai:job 3`) or as
// --job/--task (kept: scripts type it); cli/options.ts subjectId takes either, never two different ids.
const jobId = { name: "job", description: "Job id, when not given as the first argument", type: text, defaultValue: undefined } as const;
const taskId = {
  name: "task",
  description: "Federated task id, when not given as the first argument",
  type: text,
  defaultValue: undefined,
} as const;
const jobIdPositional = { name: "jobId", description: "Job id (or give --job)", type: text, defaultValue: undefined } as const;
const taskIdPositional = {
  name: "taskId",
  description: "Federated task id (or give --task)",
  type: text,
  defaultValue: undefined,
} as const;
const providerOption = {
  name: "provider",
  description: "Provider address; when left out, flai.market.provider, else FLAI_PROVIDER, else the first provider listed",
  type: text,
  defaultValue: undefined,
} as const;
const promptOption = {
  name: "prompt",
  description: "Prompt; when left out, flai.market.prompt, else FLAI_PROMPT, else a greeting",
  type: text,
  defaultValue: undefined,
} as const;
const ledgerOption = {
  name: "ledger",
  description:
    "0G the ledger should hold; when left out, flai.market.ledger, else FLAI_LEDGER_OG, else a new ledger opens with the minimum (3 0G) and an existing one is left as it is",
  type: text,
  defaultValue: undefined,
} as const;

// Options several federated tasks share.
const pollOption = {
  name: "poll",
  description: "--follow: seconds between looks at the chain (> 0); when left out, 5",
  type: text,
  defaultValue: undefined,
} as const;
/** A renamed option's former name: still read (with a warning), so users' scripts keep working. */
const deprecatedOption = (name: string, use: string) =>
  ({ name, description: `Deprecated: use ${use} (same value)`, type: text, defaultValue: undefined }) as const;
const strategyOptions = (b: ReturnType<typeof task>) =>
  b
    .addOption({ name: "strategy", description: "fedavg | fedprox | median | trimmed-mean", defaultValue: "fedavg" })
    .addOption({
      name: "clippingNorm",
      description: "Clip each update to this L2 norm (> 0); when left out, no clipping",
      type: text,
      defaultValue: undefined,
    })
    .addOption({
      name: "noiseMultiplier",
      description: "Central DP: Gaussian noise multiplier (> 0, needs --clipping-norm); when left out, no noise",
      type: text,
      defaultValue: undefined,
    })
    .addOption({
      name: "trimFraction",
      description: "trimmed-mean only: fraction in (0, 0.5) trimmed from each end, at least one update per end; when left out, 0.1",
      type: text,
      defaultValue: undefined,
    })
    .addOption({
      name: "maxIterations",
      description: "Client L-BFGS iterations per round (≥ 1); when left out, 3",
      type: text,
      defaultValue: undefined,
    })
    .addOption({
      name: "proximalMu",
      description: "fedprox with --no-drift-correction or --noise-multiplier: proximal term strength (≥ 0); when left out, 0.01",
      type: text,
      defaultValue: undefined,
    })
    .addOption(deprecatedOption("clip", "--clipping-norm"))
    .addOption(deprecatedOption("noise", "--noise-multiplier"))
    .addOption(deprecatedOption("trim", "--trim-fraction"))
    .addOption(deprecatedOption("localIterations", "--max-iterations"))
    .addOption(deprecatedOption("mu", "--proximal-mu"))
    .addOption({
      name: "maxClientShare",
      description: "Most of a round one client's update may weigh, in (0, 1]; when left out, 0.25",
      type: text,
      defaultValue: undefined,
    })
    .addOption({
      name: "minAccepted",
      description: "Fewest accepted updates per published model (≥ 1); when left out, 3 (1 with --noise-multiplier)",
      type: text,
      defaultValue: undefined,
    })
    .addOption({
      name: "maxUpdateNorm",
      description: "Reject updates with a larger L2 norm (> 0, ≤ 1e100); when left out, 1e6",
      type: text,
      defaultValue: undefined,
    })
    .addOption({
      name: "rewardRule",
      description: "equal | num-examples (capped num_examples); when left out, equal",
      type: text,
      defaultValue: undefined,
    })
    .addOption({
      name: "modelFormat",
      description:
        "json | binary: how every global model of the task is stored; when left out, json below 10,000 parameters, binary from there",
      type: text,
      defaultValue: undefined,
    })
    .addFlag({
      name: "noDriftCorrection",
      description:
        "fedavg/fedprox without --noise-multiplier: do not correct client drift (otherwise the enclave averages the clients' gradients into a correction each round)",
    });

export const taskDefinitions = [
  task("flai:deploy", "Deploy FLAIComputeJobs + FLAIFederated (reused if already deployed) and accept this version's enclave measurement")
    .addOption({
      name: "attestationAuthority",
      description:
        "Attestation authority to pin (the aggregator host's, as its flai:enclave prints it); when left out, flai.enclave.attestationAuthority, else this machine's",
      type: text,
      defaultValue: undefined,
    })
    .addFlag(json)
    .setAction(() => import("./tasks/deploy.js"))
    .build(),

  task("flai:upload", "Store a file and print its 0G Merkle root")
    .addPositionalArgument({ name: "file", description: "The file to store" })
    .addFlag(json)
    .setAction(() => import("./tasks/upload.js"))
    .build(),

  task("flai:download", "Fetch a stored file by its 0G root, verified, into a new file")
    .addPositionalArgument({ name: "root", description: "The file's 0G Merkle root (0x + 64 hex)" })
    .addPositionalArgument({ name: "out", description: "Where to write it (must not exist)" })
    .addFlag(json)
    .setAction(() => import("./tasks/download.js"))
    .build(),

  task("flai:submit", "Store data + model files (encrypted to the enclave unless --public) and submit a compute job that escrows a reward")
    .addOption({ name: "data", description: "Dataset file (JSON or CSV) or its 0G root (required)", type: text, defaultValue: undefined })
    .addOption({ name: "model", description: "Model spec file (JSON) or its 0G root (required)", type: text, defaultValue: undefined })
    .addOption({ name: "reward", description: "Reward in 0G, e.g. 0.01 (required)", type: text, defaultValue: undefined })
    .addOption({
      name: "deadline",
      description: "Seconds until the submitter may cancel; when left out, flai.jobs.deadlineSeconds from the config (86400 unless set)",
      type: text,
      defaultValue: undefined,
    })
    .addFlag({
      name: "public",
      description:
        "Store the inputs and the trained model in plaintext (open data); without it they are encrypted: only the enclave reads the inputs, only you the model",
    })
    .addOption({
      name: "enclave",
      description:
        "Private jobs: the enclave (signer address) the inputs are encrypted to, which alone can train the job; when left out, this machine's",
      type: text,
      defaultValue: undefined,
    })
    .addFlag(json)
    .setAction(() => import("./tasks/submit.js"))
    .build(),

  task("flai:train", "Train a job inside the simulated enclave and write the signed result")
    .addPositionalArgument(jobIdPositional)
    .addOption(jobId)
    .addOption({ name: "out", description: "Result file; when left out, .flai/results/job-<id>.json", type: file, defaultValue: undefined })
    .addOption({
      name: "payee",
      description: "Address the reward goes to; when left out, your account",
      type: text,
      defaultValue: undefined,
    })
    .addFlag({ name: "complete", description: "Also complete the job on-chain with the result" })
    .addFlag({ name: "force", description: "Replace an existing --out file (and its .model.json) instead of refusing" })
    .addFlag(json)
    .setAction(() => import("./tasks/train.js"))
    .build(),

  task("flai:complete", "Complete a job with a signed result file written by flai:train")
    .addPositionalArgument(jobIdPositional)
    .addOption(jobId)
    .addOption({ name: "result", description: "Result file from flai:train (required)", type: file, defaultValue: undefined })
    .addFlag(json)
    .setAction(() => import("./tasks/complete.js"))
    .build(),

  task("flai:job", "Read a job from the chain")
    .addPositionalArgument(jobIdPositional)
    .addOption(jobId)
    .addFlag(json)
    .setAction(() => import("./tasks/job.js"))
    .build(),

  task("flai:result", "Read a completed job's trained model (decrypted for its submitter), checked against the on-chain hash")
    .addPositionalArgument(jobIdPositional)
    .addOption(jobId)
    .addOption({
      name: "out",
      description: "Where to write the model (JSON; must not exist) (required)",
      type: file,
      defaultValue: undefined,
    })
    .addOption({
      name: "account",
      description: "Index of the network account reading it: a private job's model opens only for its submitter's",
      type: ArgumentType.INT,
      defaultValue: 0,
    })
    .addFlag(json)
    .setAction(() => import("./tasks/result.js"))
    .build(),

  task("flai:verify", "Check an on-chain result from the chain and storage alone: a compute job, or a federated task's rounds")
    .addOption({ name: "job", description: "Compute job id to verify (give --job or --task)", type: text, defaultValue: undefined })
    .addOption({ name: "task", description: "Federated task id to verify (give --job or --task)", type: text, defaultValue: undefined })
    .addOption({ name: "round", description: "Round of --task; when left out, every finalized round", type: text, defaultValue: undefined })
    .addOption({
      name: "account",
      description:
        "Index of a network account whose key opens encrypted artifacts (a private job's submitter, an admitted reader of a private task), for full checks; when left out, they cannot be checked",
      type: text,
      defaultValue: undefined,
    })
    .addFlag(json)
    .setAction(() => import("./tasks/verify.js"))
    .build(),

  task("flai:enclave", "Print the simulated enclave's attestation report")
    .addFlag({ name: "register", description: "Also register it on FLAIComputeJobs (contract owner only)" })
    .addFlag(json)
    .setAction(() => import("./tasks/enclave.js"))
    .build(),

  ...federatedTasks(),

  task("flai:market-discover", "List 0G serving providers: model, endpoint, prices in 0G")
    .addFlag(json)
    .setAction(() => import("./tasks/market-discover.js"))
    .build(),

  task("flai:market-setup", "Ensure the compute ledger holds enough 0G and acknowledge a provider (idempotent)")
    .addOption(ledgerOption)
    .addOption(providerOption)
    .addFlag(json)
    .setAction(() => import("./tasks/market-setup.js"))
    .build(),

  task("flai:market-ping", "A signed, paid chat request to a provider: verify the answer, show the ledger before/after")
    .addOption(providerOption)
    .addOption(promptOption)
    .addFlag(json)
    .setAction(() => import("./tasks/market-ping.js"))
    .build(),

  task("flai:market-compute", "The whole marketplace flow: discover → setup → headers → request → verify → settlement")
    .addOption(providerOption)
    .addOption(promptOption)
    .addOption(ledgerOption)
    .addFlag(json)
    .setAction(() => import("./tasks/market-compute.js"))
    .build(),

  task(
    "flai:devnet",
    "Serve the local 0G stand-ins (storage: Flow/Market + indexer/node; compute: serving contracts + provider) until Ctrl-C",
  )
    .addOption({ name: "port", description: "Indexer + storage node port", type: ArgumentType.INT, defaultValue: 5678 })
    .addOption({ name: "computePort", description: "Compute provider port", type: ArgumentType.INT, defaultValue: 5679 })
    .addOption({
      name: "task",
      description: "Serve this federated task's global model; when left out, the sample model",
      type: text,
      defaultValue: undefined,
    })
    .addOption({ name: "rpcPort", description: "Chain RPC port (in-process network only)", type: ArgumentType.INT, defaultValue: 8545 })
    .addFlag(json)
    .setAction(() => import("./tasks/devnet.js"))
    .build(),

  task("flai:demo", "Run the whole PoC flow: storage → job → enclave training → attested completion → read back")
    .addOption({ name: "reward", description: "Reward in 0G", defaultValue: "0.01" })
    .addOption({
      name: "storage",
      description: '"local" or "devnet" (uploads through the 0G SDK to a local storage devnet)',
      defaultValue: "local",
    })
    .addFlag(json)
    .setAction(() => import("./tasks/demo.js"))
    .build(),
];

function federatedTasks() {
  return [
    flCreateTask(),

    task("flai:fl-client", "One client's round: train locally, encrypt to the enclave, upload, record on-chain")
      .addPositionalArgument(taskIdPositional)
      .addOption(taskId)
      .addOption({ name: "data", description: "The client's local dataset (JSON or CSV) (required)", type: file, defaultValue: undefined })
      .addOption({
        name: "account",
        description: "Index of the network account acting as the client",
        type: ArgumentType.INT,
        defaultValue: 0,
      })
      .addFlag({
        name: "follow",
        description: "Keep running: join every round, claim every reward, exit when the task is finished or cancelled",
      })
      .addOption(pollOption)
      .addFlag(json)
      .setAction(() => import("./tasks/fl-client.js"))
      .build(),

    task("flai:aggregate", "Aggregate a round inside the enclave and finalize it on-chain (resumable)")
      .addPositionalArgument(taskIdPositional)
      .addOption(taskId)
      .addOption({ name: "round", description: "Round; when left out, the current one", type: text, defaultValue: undefined })
      .addFlag({
        name: "follow",
        description:
          "Keep running: close, aggregate and finalize every round by the close rule, exit when the task is finished or cancelled",
      })
      .addOption(pollOption)
      .addOption({
        name: "closeAfter",
        description: "--follow: seconds to wait for more clients once a round's quorum is recorded (≥ 0); when left out, 60",
        type: text,
        defaultValue: undefined,
      })
      .addFlag(json)
      .setAction(() => import("./tasks/aggregate.js"))
      .build(),

    task("flai:fl-status", "Show a federated task and its rounds")
      .addPositionalArgument(taskIdPositional)
      .addOption(taskId)
      .addFlag(json)
      .setAction(() => import("./tasks/fl-status.js"))
      .build(),

    task("flai:fl-claim", "Claim a client's rewards for finalized rounds (pull payment, proven from the commitment)")
      .addPositionalArgument(taskIdPositional)
      .addOption(taskId)
      .addOption({
        name: "round",
        description: "Round to claim; when left out, every finalized round the account is owed and has not claimed",
        type: text,
        defaultValue: undefined,
      })
      .addOption({ name: "account", description: "Index of the client's account", type: ArgumentType.INT, defaultValue: 0 })
      .addFlag(json)
      .setAction(() => import("./tasks/fl-claim.js"))
      .build(),

    ...readerTasks(),

    task("flai:fl-cancel", "Cancel a federated task whose current round failed and refund the creator what is unpaid (creator only)")
      .addPositionalArgument(taskIdPositional)
      .addOption(taskId)
      .addOption({ name: "account", description: "Index of the creator's account", type: ArgumentType.INT, defaultValue: 0 })
      .addFlag(json)
      .setAction(() => import("./tasks/fl-cancel.js"))
      .build(),

    flRunTask(),
  ];
}

/** A private task's readers: who is admitted (fl-admit), reading a model (fl-model), an account's reader key. */
function readerTasks() {
  return [
    task("flai:fl-admit", "Admit more readers to a private task's models: publish a keyring for --clients (creator only)")
      .addPositionalArgument(taskIdPositional)
      .addOption(taskId)
      .addOption({
        name: "clients",
        description: "Addresses to admit, comma-separated (each with a registered reader key) (required)",
        type: text,
        defaultValue: undefined,
      })
      .addOption({ name: "account", description: "Index of the creator's account", type: ArgumentType.INT, defaultValue: 0 })
      .addFlag(json)
      .setAction(() => import("./tasks/fl-admit.js"))
      .build(),

    task("flai:fl-model", "Read a task's global model: opened with the account's task key when private, checked against its on-chain hash")
      .addPositionalArgument(taskIdPositional)
      .addOption(taskId)
      .addOption({ name: "out", description: "File to write the model to (required)", type: file, defaultValue: undefined })
      .addOption({
        name: "round",
        description: "Round whose model (0: the initial one); when left out, the current one",
        type: text,
        defaultValue: undefined,
      })
      .addOption({
        name: "account",
        description: "Index of the reading account (an admitted reader)",
        type: ArgumentType.INT,
        defaultValue: 0,
      })
      .addFlag(json)
      .setAction(() => import("./tasks/fl-model.js"))
      .build(),

    task("flai:reader-key", "Show an account's reader key (private tasks' models are wrapped to it); --register puts it on-chain")
      .addOption({ name: "account", description: "Index of the account", type: ArgumentType.INT, defaultValue: 0 })
      .addFlag({ name: "register", description: "Register the key on-chain (once per account, any task), so a creator can admit it" })
      .addFlag(json)
      .setAction(() => import("./tasks/reader-key.js"))
      .build(),
  ];
}

// fl-create and fl-run take the strategy options plus many of their own: each builder has its own function.
function flCreateTask() {
  return strategyOptions(task("flai:fl-create", "Create a federated task: initial global model, rounds, quorum, reward pool, enclave"))
    .addOption({ name: "model", description: "Model spec file (or root) (required)", type: text, defaultValue: undefined })
    .addOption({
      name: "test",
      description: "Held-out test file (or root) the enclave evaluates every global model on, never trained on (required)",
      type: text,
      defaultValue: undefined,
    })
    .addOption({
      name: "evaluation",
      description: "Former name of --test, still read (give one of them)",
      type: text,
      defaultValue: undefined,
    })
    .addOption({ name: "rounds", description: "Number of rounds", type: ArgumentType.INT, defaultValue: 3 })
    .addOption({ name: "quorum", description: "Minimum accepted updates per round", type: ArgumentType.INT, defaultValue: 2 })
    .addOption({
      name: "maxClients",
      description: "Updates per round at which the round closes by itself (quorum..65535); when left out, 65535",
      type: text,
      defaultValue: undefined,
    })
    .addOption({
      name: "roundDuration",
      description: "Seconds a round accepts updates; when left out, flai.jobs.deadlineSeconds from the config (86400 unless set)",
      type: text,
      defaultValue: undefined,
    })
    .addOption({ name: "reward", description: "Reward pool in 0G (required)", type: text, defaultValue: undefined })
    .addOption({
      name: "enclave",
      description:
        "Signer address of the task's enclave, registered by the aggregator host (flai:enclave --register); when left out, this machine's",
      type: text,
      defaultValue: undefined,
    })
    .addOption({
      name: "expectedNumExamples",
      description:
        "Training rows expected over all clients, for round 1's L2 penalty split (later rounds use what the enclave accepted); when left out, each client's rows × quorum",
      type: text,
      defaultValue: undefined,
    })
    .addOption(deprecatedOption("numExamples", "--expected-num-examples"))
    .addOption({
      name: "standardizeOn",
      description:
        'Sample of the training data (file or root) the shared feature scaling is fit on; required when the spec standardizes and has no "standardization" (never fit on --test)',
      type: text,
      defaultValue: undefined,
    })
    .addOption({
      name: "clients",
      description:
        "Private task: client addresses admitted at creation, comma-separated (each with a registered reader key); more later with flai:fl-admit",
      type: text,
      defaultValue: undefined,
    })
    .addFlag({
      name: "public",
      description: "Store the task's models in plaintext, readable by anyone (without it: encrypted, admitted readers only)",
    })
    .addFlag(json)
    .setAction(() => import("./tasks/fl-create.js"))
    .build();
}

function flRunTask() {
  return strategyOptions(task("flai:fl-run", "Simulate a whole federated run with N local clients (distinct accounts) and write a report"))
    .addOption({
      name: "clients",
      description:
        "Number of clients, each its own account (on the in-process chain, accounts beyond the configured ones are derived and funded)",
      type: ArgumentType.INT,
      defaultValue: 5,
    })
    .addOption({ name: "rounds", description: "Number of rounds", type: ArgumentType.INT, defaultValue: 5 })
    .addOption({
      name: "data",
      description: "Dataset to split among the clients (JSON or CSV); when left out, the --dataset bundled one",
      type: file,
      defaultValue: undefined,
    })
    .addOption({
      name: "dataset",
      description: "Bundled dataset when --data is left out: sample (2 classes) | landcover (4 classes, non-IID showcase, own test file)",
      type: text,
      defaultValue: undefined,
    })
    .addOption({
      name: "test",
      description: "Test set file every model is scored on; when left out, a stratified 20% holdout of the data (landcover: its test file)",
      type: file,
      defaultValue: undefined,
    })
    .addOption({ name: "partition", description: "iid | dirichlet", defaultValue: "iid" })
    .addOption({
      name: "alpha",
      description: "dirichlet only: concentration (> 0, smaller = more label skew); when left out, 0.5",
      type: text,
      defaultValue: undefined,
    })
    .addOption({ name: "seed", description: "Seed of the split", type: ArgumentType.INT, defaultValue: 1 })
    .addOption({ name: "reward", description: "Reward pool in 0G", defaultValue: "1" })
    .addFlag({
      name: "public",
      description: "Store the task's models in plaintext (without it: encrypted, every client admitted at creation)",
    })
    .addOption({
      name: "report",
      description:
        "HTML report path; when left out, .flai/reports/fl-run-task-<id>-<UTC time>.html (an existing file is never overwritten: -2, -3… is added)",
      type: file,
      defaultValue: undefined,
    })
    .addFlag(json)
    .setAction(() => import("./tasks/fl-run.js"))
    .build();
}
