import { existsSync } from "node:fs";
import { readdir, rm, symlink, writeFile } from "node:fs/promises";
import path from "node:path";
import { pathToFileURL } from "node:url";

import { expect } from "chai";

import { packageRoot } from "../../src/package-root.js";

import { runHardhat } from "../helpers/cli.js";
import { freePort } from "../helpers/net.js";
import { holdPort, killAll, portIsFree, startHardhat, startNode, type Running } from "../helpers/processes.js";
import { FIXTURES, tempDir } from "../helpers/project.js";

/**
 * `flai:devnet` as a user runs it: `hardhat node` and the devnet as separate processes in a project
 * of their own, stopped with Ctrl-C (SIGINT) and started again, beside a restarted node, next to a
 * second devnet, on a port that is taken.
 */
describe("flai:devnet as a service (separate processes)", function () {
  this.timeout(900_000);

  let project: string;
  let nodePort: number;
  let node: Running | undefined;
  const ports = { indexer: 0, compute: 0 };

  /** The project's hardhat.config.ts: the plugin from this repository, `hardhat node` as "local", and `flai` as given. */
  const writeConfig = (flaiLine = "") =>
    writeFile(
      path.join(project, "hardhat.config.ts"),
      [
        `import { defineConfig } from "hardhat/config";`,
        `import flai from ${JSON.stringify(pathToFileURL(path.join(packageRoot(), "src", "index.ts")).href)};`,
        `export default defineConfig({`,
        `  plugins: [flai],`,
        `  networks: { local: { type: "http", url: "http://127.0.0.1:${nodePort}" } },`,
        flaiLine === "" ? "" : `${flaiLine},`,
        `});`,
        ``,
      ].join("\n"),
    );

  const hardhat = (args: string[]) => runHardhat(args, { cwd: project });
  const json = async <T = Record<string, unknown>>(args: string[]) => {
    const run = await hardhat([...args, "--json"]);
    expect(run.code, `hardhat ${args.join(" ")}\n${run.stdout}\n${run.stderr}`).to.equal(0);
    return JSON.parse(run.stdout) as T;
  };
  const devnetArgs = (extra: string[] = []) => [
    "flai:devnet",
    "--port",
    String(ports.indexer),
    "--compute-port",
    String(ports.compute),
    ...extra,
  ];

  /** A devnet on `local`, once it is ready; its stateDir from the printed line. */
  const startDevnet = async (extra: string[] = []) => {
    const devnet = startHardhat([...devnetArgs(extra), "--network", "local"], { cwd: project });
    await devnet.waitFor("Press Ctrl-C");
    return devnet;
  };
  /** Ctrl-C: a clean exit that says so and frees its ports. */
  const stopCleanly = async (devnet: Running, freed: number[]) => {
    expect(await devnet.stop("SIGINT"), devnet.output()).to.equal(0);
    expect(devnet.output()).to.contain("devnet stopped");
    for (const port of freed) expect(await portIsFree(port), `port ${port} after the stop`).to.equal(true);
  };
  const stateOf = (devnet: Running) => /^\s+state\s+(\S+)/m.exec(devnet.output())?.[1];

  before(async () => {
    project = await tempDir("flai-devnet-service-");
    await writeFile(path.join(project, "package.json"), JSON.stringify({ name: "devnet-user-project", private: true, type: "module" }));
    // The project resolves hardhat (and the plugin's dependencies) from this repository's install.
    await symlink(path.join(packageRoot(), "node_modules"), path.join(project, "node_modules"), "dir");
    [nodePort, ports.indexer, ports.compute] = [await freePort(), await freePort(), await freePort()];
    await writeConfig();
    node = await startNode(project, nodePort);
  });

  after(async () => {
    await killAll();
    if (project !== undefined) await rm(project, { recursive: true, force: true });
  });

  let printedConfig = "";
  let storedRoot = "";
  let firstState: string | undefined;
  let restartedRoot = "";

  it("stops on Ctrl-C and starts again beside the same node, still serving what it stored; --task works with the config it prints", async () => {
    const first = await startDevnet();
    printedConfig = /^\s*(flai: \{ storage: .*\})\s*$/m.exec(first.output())?.[1] ?? "";
    expect(printedConfig).to.equal(`flai: { storage: { backend: "0g", indexerUrl: "http://127.0.0.1:${ports.indexer}" } }`);
    firstState = stateOf(first);
    expect(firstState).to.match(/^\.flai\/devnet\/chain-31337-[0-9a-f]{12}$/);
    await writeConfig(printedConfig);

    const uploaded = await json(["flai:upload", path.join(FIXTURES, "data.csv"), "--network", "local"]);
    expect(uploaded.backend).to.equal("0g");
    storedRoot = uploaded.root as string;
    await json(["flai:deploy", "--network", "local"]);
    // The task's initial global model goes to 0G storage: this devnet.
    const created = await json<{ task: { id: string } }>([
      "flai:fl-create",
      ...[
        "--model",
        path.join(FIXTURES, "model.json"),
        "--test",
        path.join(FIXTURES, "data.json"),
        "--standardize-on",
        path.join(FIXTURES, "data.csv"),
      ],
      ...["--rounds", "1", "--quorum", "1", "--reward", "0.01", "--network", "local"],
    ]);
    const taskId = String(created.task.id);
    await stopCleanly(first, [ports.indexer, ports.compute]);

    const again = await startDevnet();
    expect(stateOf(again)).to.equal(firstState);
    const copy = path.join(project, "copy.csv");
    const downloaded = await json(["flai:download", storedRoot, copy, "--network", "local"]);
    expect(downloaded.root).to.equal(storedRoot);
    await stopCleanly(again, [ports.indexer, ports.compute]);

    // The provider serves a model read through the project's storage, which is the devnet itself:
    // storage must be up before the model is read.
    const serving = await startDevnet(["--task", taskId]);
    expect(serving.output()).to.contain(`serving task ${taskId}'s global model`);
    const discovered = await json(["flai:market-discover", "--network", "local"]);
    expect(JSON.stringify(discovered)).to.contain(`flai/federated-task-${taskId}`);
    await stopCleanly(serving, [ports.indexer, ports.compute]);
  });

  it("starts again after `hardhat node` was restarted: the stale Ignition record is redeployed over, state goes to a fresh folder", async () => {
    expect(firstState, "the first test ran").to.be.a("string");
    await node!.stop("SIGINT");
    node = await startNode(project, nodePort);
    expect(existsSync(path.join(project, "ignition", "deployments", "chain-31337"))).to.equal(true);

    const devnet = await startDevnet();
    const state = stateOf(devnet);
    expect(state).to.match(/^\.flai\/devnet\/chain-31337-[0-9a-f]{12}$/);
    expect(state).to.not.equal(firstState);
    // The old history's folder is left alone (another node may still be on it).
    expect(existsSync(path.join(project, firstState!))).to.equal(true);
    const uploaded = await json(["flai:upload", path.join(FIXTURES, "model.json"), "--network", "local"]);
    expect(uploaded.alreadyStored).to.not.equal(true);
    restartedRoot = uploaded.root as string;
    // What the old chain stored is not on this one.
    const gone = await hardhat(["flai:download", storedRoot, path.join(project, "gone.csv"), "--network", "local"]);
    expect(gone.code).to.not.equal(0);
    await stopCleanly(devnet, [ports.indexer, ports.compute]);
  });

  it("runs beside a second devnet on another chain (the in-process one) without either touching the other's state", async () => {
    const local = await startDevnet();
    const localState = stateOf(local)!;
    const [otherIndexer, otherCompute, otherRpc] = [await freePort(), await freePort(), await freePort()];
    const inProcess = startHardhat(
      ["flai:devnet", "--port", String(otherIndexer), "--compute-port", String(otherCompute), "--rpc-port", String(otherRpc)],
      { cwd: project },
    );
    await inProcess.waitFor("Press Ctrl-C");
    const otherState = stateOf(inProcess)!;
    expect(otherState).to.match(/^\.flai\/devnet\/chain-31337-[0-9a-f]{12}$/);
    expect(otherState).to.not.equal(localState);
    expect(existsSync(path.join(project, otherState, "compute.json"))).to.equal(true);

    await stopCleanly(inProcess, [otherIndexer, otherCompute, otherRpc]);
    // The in-process chain is gone, and so is its state; the other devnet's is untouched.
    expect(existsSync(path.join(project, otherState))).to.equal(false);
    expect(existsSync(path.join(project, localState, "compute.json"))).to.equal(true);
    const discovered = await json(["flai:market-discover", "--network", "local"]);
    expect(JSON.stringify(discovered)).to.contain("flai/logistic-regression");
    const downloaded = await json(["flai:download", restartedRoot, path.join(project, "model-copy.json"), "--network", "local"]);
    expect(downloaded.root).to.equal(restartedRoot);
    await stopCleanly(local, [ports.indexer, ports.compute]);
  });

  for (const [option, what] of [
    ["--rpc-port", "in-process chain's RPC server"],
    ["--port", "0G storage indexer and node"],
    ["--compute-port", "0G compute provider"],
  ] as const) {
    it(`exits non-zero naming ${option} when its port is taken, and frees the ports it had opened`, async () => {
      const chosen = { "--rpc-port": await freePort(), "--port": await freePort(), "--compute-port": await freePort() };
      const taken = await holdPort(chosen[option]);
      const before = await readdir(path.join(project, ".flai", "devnet")).catch(() => []);
      try {
        const run = startHardhat(["flai:devnet", ...Object.entries(chosen).flat().map(String)], { cwd: project });
        // A part left listening would keep the process alive: it must exit by itself.
        const code = await Promise.race([run.exited, new Promise<"hung">((resolve) => setTimeout(() => resolve("hung"), 120_000).unref())]);
        await run.stop("SIGKILL");
        const said = run.output();
        expect(code, said).to.not.equal("hung");
        expect(code, said).to.not.equal(0);
        expect(said).to.contain(`The ${what} cannot listen on 127.0.0.1:${chosen[option]}`);
        expect(said).to.contain(`choose another port with ${option} <port>`);
        expect(said).to.not.match(/^\s+at /m);
        for (const [name, port] of Object.entries(chosen)) {
          if (name !== option) expect(await portIsFree(port), `${name} ${port} after the failed start`).to.equal(true);
        }
        // Nothing of the failed in-process devnet is left behind.
        expect(await readdir(path.join(project, ".flai", "devnet")).catch(() => [])).to.deep.equal(before);
      } finally {
        await taken.close();
      }
    });
  }
});
