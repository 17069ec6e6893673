import { readFile } from "node:fs/promises";
import path from "node:path";

import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { useConnection, type FlaiConnection } from "../chain/connection.js";
import { startComputeDevnet } from "../devnet/compute-devnet.js";
import { modelAnswerer } from "../devnet/compute/model-answerer.js";
import type { GlobalModel } from "../federated/global-model.js";
import { isEphemeral } from "../chain/deployment.js";
import { parseDataset } from "../ml/dataset.js";
import { parseModelSpec, trainFromSpec } from "../ml/model.js";
import { weightsFromJson } from "../ml/parameters.js";
import type { MarketOptions } from "../market/types.js";
import { packageRoot } from "../package-root.js";
import type { Ui } from "../ui.js";

/**
 * Market tasks on Hardhat's in-process chain have no marketplace to talk to: they bring up the
 * local compute stand-in in the same process, serving a model trained on the sample data.
 * Elsewhere (hardhat node + flai:devnet, Galileo) they use what the network has.
 */
export async function withMarketNetwork<T>(
  hre: HardhatRuntimeEnvironment,
  ui: Ui,
  run: (opts: MarketOptions & { connection: FlaiConnection }) => Promise<T>,
): Promise<T> {
  const connection = await useConnection(hre);
  if (!isEphemeral(connection)) {
    return run({ connection });
  }
  const model = await sampleModel();
  const devnet = await startComputeDevnet(connection, { model: "flai/logistic-regression", answer: modelAnswerer(model) });
  ui.line(`In-process 0G compute stand-in: provider ${devnet.providerAddress} at ${devnet.url}`);
  try {
    return await run({ connection, contracts: devnet.contracts });
  } finally {
    await devnet.close();
  }
}

/** A model to serve when no federated run produced one: the sample data trained once, centrally. */
export async function sampleModel(): Promise<GlobalModel> {
  const fixtures = path.join(packageRoot(), "fixtures");
  const spec = parseModelSpec(await readFile(path.join(fixtures, "model.json")), "model.json");
  const data = parseDataset(await readFile(path.join(fixtures, "data.json")), "data.json");
  const zero = "0x" + "0".repeat(64);
  const trained = trainFromSpec(spec, data, { datasetRoot: zero, modelRoot: zero });
  const fitted = weightsFromJson(trained.weights, trained.bias, trained.features);
  return {
    format: "flai-global-model/v1",
    algorithm: "logistic-regression",
    features: trained.features,
    weights: Array.from(fitted.weights),
    bias: fitted.bias[0]!,
    standardization: trained.standardization,
    round: 0,
    federated: { strategy: { name: "fedavg" }, local: { maxIterations: 0, c: spec.hyperparameters.c, mu: 0 }, evaluationRoot: zero },
    previousHash: null,
    metrics: null,
  };
}
