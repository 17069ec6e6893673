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

  task("flai:enclave", "Print the simulated enclave's attestation report")
    .addFlag({ name: "register", description: "Also register it on FLAIComputeJobs (contract owner only)" })
    .addFlag(json)
    .setAction(() => import("../tasks/enclave.js"))
    .build(),

  task("flai:devnet", "Serve the local 0G storage stand-ins (Flow/Market + indexer/storage node) until Ctrl-C")
    .addOption({ name: "port", description: "Indexer + storage node port", type: ArgumentType.INT, defaultValue: 5678 })
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
