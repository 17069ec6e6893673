import { readFile } from "node:fs/promises";
import path from "node:path";

import { expect } from "chai";
import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";
import { ArgumentType, type OptionDefinition } from "hardhat/types/arguments";

import { UINT256_MAX, parseId, parseRound } from "../../src/chain/ids.js";
import { parseDataset } from "../../src/ml/dataset.js";
import { computeStandardization } from "../../src/ml/logistic.js";
import { packageRoot } from "../../src/package-root.js";
import { isSealedArtifact } from "../../src/privacy/artifact.js";
import {
  flagOf,
  optionalNumber,
  optionalText,
  optionalWhole,
  pickSubject,
  renamedOption,
  requireOptions,
  subjectId,
  type DeprecatedFlag,
} from "../../src/cli/options.js";

import { expectFlaiError } from "../helpers/assert.js";
import { runHardhat } from "../helpers/cli.js";
import { FIXTURES, tempProject } from "../helpers/project.js";
import { taskLines } from "../helpers/task-output.js";

/**
 * Every flai task with the options it cannot run without, and the fragments its "missing" error
 * must name. A task added to the plugin without a row here fails the coverage test below.
 */
// A subject id (job or task) is positional or --job/--task: neither is a required option, so the
// tasks that need one list what their "missing" error names instead.
const TASKS: Record<string, { required: string[]; missing?: string[] }> = {
  "flai:deploy": { required: [] },
  "flai:upload": { required: [] }, // its file is a positional argument, which Hardhat itself requires
  "flai:download": { required: [] }, // root and out are positional
  "flai:submit": { required: ["data", "model", "reward"] },
  "flai:train": { required: [], missing: ["<job id> (the first argument, or --job)", "Example: npx hardhat flai:train 1"] },
  "flai:complete": {
    required: ["result"],
    missing: ["<job id> (the first argument, or --job)", "--result", "Example: npx hardhat flai:complete 1"],
  },
  "flai:job": { required: [], missing: ["<job id> (the first argument, or --job)", "Example: npx hardhat flai:job 1"] },
  "flai:result": {
    required: ["out"],
    missing: ["<job id> (the first argument, or --job)", "--out", "Example: npx hardhat flai:result 1"],
  },
  // Exactly one of --job and --task: requireOptions cannot say that, so verify names both itself.
  "flai:verify": { required: [], missing: ["--job <id>", "--task <id>", "Example: npx hardhat flai:verify"] },
  "flai:enclave": { required: [] },
  "flai:fl-create": { required: ["model", "test", "reward"] },
  "flai:fl-client": {
    required: ["data"],
    missing: ["<task id> (the first argument, or --task)", "--data", "Example: npx hardhat flai:fl-client 1"],
  },
  "flai:aggregate": { required: [], missing: ["<task id> (the first argument, or --task)", "Example: npx hardhat flai:aggregate 1"] },
  "flai:fl-status": { required: [], missing: ["<task id> (the first argument, or --task)", "Example: npx hardhat flai:fl-status 1"] },
  "flai:fl-claim": { required: [], missing: ["<task id> (the first argument, or --task)", "Example: npx hardhat flai:fl-claim 1"] },
  "flai:fl-cancel": { required: [], missing: ["<task id> (the first argument, or --task)", "Example: npx hardhat flai:fl-cancel 1"] },
  "flai:fl-admit": {
    required: ["clients"],
    missing: ["<task id> (the first argument, or --task)", "Example: npx hardhat flai:fl-admit 1"],
  },
  "flai:fl-model": {
    required: ["out"],
    missing: ["<task id> (the first argument, or --task)", "Example: npx hardhat flai:fl-model 1"],
  },
  "flai:reader-key": { required: [] },
  "flai:fl-run": { required: [] },
  "flai:market-discover": { required: [] },
  "flai:market-setup": { required: [] },
  "flai:market-ping": { required: [] },
  "flai:market-compute": { required: [] },
  "flai:devnet": { required: [] },
  "flai:demo": { required: [] },
};

/** Numeric options whose real default is 0 (account 0 is the first account), shown as such in help. */
const REAL_ZERO_DEFAULTS = new Set([
  "flai:fl-client --account",
  "flai:fl-claim --account",
  "flai:fl-cancel --account",
  "flai:result --account",
  "flai:fl-admit --account",
  "flai:fl-model --account",
  "flai:reader-key --account",
]);

const WITHOUT_DEFAULT: string[] = [ArgumentType.STRING_WITHOUT_DEFAULT, ArgumentType.FILE_WITHOUT_DEFAULT];

/** Help prints " (default: X)" for every option whose Hardhat default is defined. */
function helpProblems(taskId: string, option: OptionDefinition, required: boolean): string[] {
  const where = `${taskId} ${flagOf(option.name)}`;
  const problems: string[] = [];
  if (option.defaultValue === "") problems.push(`${where}: help shows the placeholder "(default: )"`);
  if (option.defaultValue === 0 && !REAL_ZERO_DEFAULTS.has(where)) problems.push(`${where}: help shows a fake "(default: 0)"`);
  if (/when left out|default/i.test(option.description) && option.defaultValue !== undefined) {
    problems.push(`${where}: the description names a default and help adds "(default: ${String(option.defaultValue)})" too`);
  }
  if (required && !(WITHOUT_DEFAULT.includes(option.type) && option.description.includes("(required)"))) {
    problems.push(`${where}: a required option must have no default and say "(required)"`);
  }
  return problems;
}

/** Runs a task as the CLI would, its output captured; returns the JSON document when `json` is set. */
async function runTask(hre: HardhatRuntimeEnvironment, id: string, args: Record<string, unknown>): Promise<unknown> {
  const lines = await taskLines(hre, id, args);
  return args.json === true ? JSON.parse(lines.join("\n")) : lines;
}

describe("task arguments", function () {
  this.timeout(180_000);

  describe("the shared parsers", () => {
    it("parseId takes decimal uint256 ids from 1 and explains every other value", async () => {
      expect(parseId(" 7 ", "job", "--job")).to.equal(7n);
      expect(parseId(UINT256_MAX.toString(), "task", "--task")).to.equal(UINT256_MAX);
      for (const bad of ["0", "-1", "1.5", "0x1", "1e3", "", "abc", "+1"]) {
        await expectFlaiError(() => parseId(bad, "job", "--job"), `--job "${bad}" is not a job id`, "whole number ≥ 1");
      }
      await expectFlaiError(
        () => parseId((UINT256_MAX + 1n).toString(), "task", "--task"),
        "is not a task id",
        "larger than the largest uint256",
      );
      await expectFlaiError(() => parseId(1.5, "task"), `"1.5" is not a task id`);
    });

    it("parseRound takes rounds 1..65535 (FLAIFederated's uint16)", async () => {
      expect(parseRound("3")).to.equal(3);
      expect(parseRound("65535")).to.equal(65535);
      for (const bad of ["0", "65536", "-1", "1.5", "x"]) {
        await expectFlaiError(() => parseRound(bad), `--round "${bad}" is not a round`, "1 to 65535");
      }
    });

    it("requireOptions names every missing or empty option in one error, with an example", async () => {
      const args = { data: undefined, model: " ", reward: "0.01", deadline: undefined };
      await expectFlaiError(
        () => requireOptions("flai:submit", args, ["data", "model", "reward"], "flai:submit --data d.json --model m.json --reward 0.01"),
        "flai:submit is missing the required options --data, --model (not given or empty).",
        "Example: npx hardhat flai:submit --data d.json",
      );
      await expectFlaiError(
        () => requireOptions("flai:fl-create", { roundDuration: undefined }, ["roundDuration"], "x"),
        "option --round-duration",
      );
      expect(() => requireOptions("flai:job", { job: "0" }, ["job"], "x"), "a typed 0 is given, not missing").not.to.throw();
    });

    it("optional numbers: undefined when not given, typed zeros kept, out of range explained", async () => {
      expect(optionalWhole(undefined, "--seed", { min: 0 })).to.equal(undefined);
      expect(optionalWhole("0", "--seed", { min: 0 })).to.equal(0);
      await expectFlaiError(
        () => optionalWhole("0", "--deadline", { min: 1, hint: "seconds" }),
        `--deadline must be a whole number ≥ 1 (seconds), got "0"`,
      );
      await expectFlaiError(() => optionalWhole("2.5", "--n", { min: 1, max: 9 }), "--n must be a whole number from 1 to 9");
      expect(optionalNumber("0", "--proximal-mu", { min: 0 })).to.equal(0);
      expect(optionalNumber(".25", "--trim-fraction", { min: 0, below: 0.5 })).to.equal(0.25);
      await expectFlaiError(
        () => optionalNumber("0.5", "--trim-fraction", { min: 0, below: 0.5 }),
        "--trim-fraction must be a number ≥ 0 and < 0.5",
      );
      await expectFlaiError(
        () => optionalNumber("0", "--clipping-norm", { min: 0, minExclusive: true }),
        "--clipping-norm must be a number > 0",
      );
      await expectFlaiError(() => optionalNumber("NaN", "--proximal-mu", { min: 0 }), `got "NaN"`);
      expect(optionalText(undefined, "--out")).to.equal(undefined);
      await expectFlaiError(() => optionalText("  ", "--out"), "--out was given an empty value");
    });
    it("renamedOption reads the new flag, or the deprecated former one (noted), and refuses both", async () => {
      const deprecated: DeprecatedFlag[] = [];
      expect(renamedOption({ clippingNorm: "2", clip: undefined }, "clippingNorm", "clip", deprecated)).to.equal("2");
      expect(renamedOption({ clippingNorm: undefined, clip: undefined }, "clippingNorm", "clip", deprecated)).to.equal(undefined);
      expect(deprecated).to.deep.equal([]);
      expect(renamedOption({ clippingNorm: undefined, clip: "3" }, "clippingNorm", "clip", deprecated)).to.equal("3");
      expect(deprecated).to.deep.equal([{ old: "--clip", new: "--clipping-norm" }]);
      await expectFlaiError(
        () => renamedOption({ localIterations: "1", maxIterations: "2" }, "maxIterations", "localIterations", []),
        `Both --max-iterations ("2") and --local-iterations ("1") were given`,
        "Pass --max-iterations only",
      );
    });

    it("a subject id is positional or --task/--job: either, the same twice, never two different ones", async () => {
      expect(pickSubject("flai:fl-status", "task", "3", undefined)).to.equal("3");
      expect(pickSubject("flai:fl-status", "task", undefined, "3")).to.equal("3");
      expect(pickSubject("flai:fl-status", "task", "3", " 3 ")).to.equal("3");
      expect(pickSubject("flai:fl-status", "task", undefined, undefined)).to.equal(undefined);
      expect(subjectId("flai:job", "job", undefined, "7", "flai:job 1")).to.equal("7");
      await expectFlaiError(
        () => pickSubject("flai:fl-status", "task", "3", "4"),
        `flai:fl-status was given task id "3" as its argument and --task "4"`,
        "Give the task id once",
      );
      await expectFlaiError(
        () => subjectId("flai:job", "job", undefined, " ", "flai:job 1"),
        "flai:job is missing the required option <job id> (the first argument, or --job)",
        "Example: npx hardhat flai:job 1",
      );
    });
  });

  describe("every flai task", () => {
    let hre: HardhatRuntimeEnvironment;

    before(async () => {
      ({ hre } = await tempProject());
    });

    it("is in the table above", () => {
      const registered = [...hre.tasks.rootTasks.keys()].filter((id) => id.startsWith("flai:")).sort();
      expect(registered).to.deep.equal(Object.keys(TASKS).sort());
    });

    it("has help without placeholder or doubled defaults; required options say so", () => {
      const problems = Object.entries(TASKS).flatMap(([id, { required }]) =>
        [...hre.tasks.getTask(id).options.values()].flatMap((option) => helpProblems(id, option, required.includes(option.name))),
      );
      expect(problems).to.deep.equal([]);
    });

    for (const [id, { required, missing }] of Object.entries(TASKS)) {
      if (missing === undefined && required.length === 0) continue; // nothing is required: no "missing" error to see
      const fragments = missing ?? [...required.map(flagOf), `Example: npx hardhat ${id}`];
      it(`${id} without its required options names ${fragments.join(", ")} in one error`, async () => {
        await expectFlaiError(() => runTask(hre, id, {}), ...fragments);
      });
    }
  });

  describe("typed values are used as typed or rejected, never replaced", () => {
    let hre: HardhatRuntimeEnvironment;

    before(async () => {
      ({ hre } = await tempProject());
    });

    const files = { model: "model.json", test: "holdout.json", reward: "1" };
    const rejected: Array<[string, Record<string, unknown>, string[]]> = [
      [
        "flai:submit",
        { data: "d.json", model: "m.json", reward: "0.01", deadline: "0" },
        [`--deadline must be a whole number ≥ 1`, `got "0"`],
      ],
      ["flai:fl-create", { ...files, roundDuration: "0" }, ["--round-duration must be a whole number from 1 to 4294967295"]],
      [
        "flai:fl-create",
        { ...files, clippingNorm: "0" },
        ["--clipping-norm must be a number > 0", "leave --clipping-norm out for no clipping"],
      ],
      ["flai:fl-create", { ...files, clippingNorm: "1", noiseMultiplier: "0" }, ["--noise-multiplier must be a number > 0"]],
      ["flai:fl-create", { ...files, noiseMultiplier: "1" }, ["--noise-multiplier needs --clipping-norm"]],
      ["flai:fl-create", { ...files, maxIterations: "0" }, ["--max-iterations must be a whole number from 1"]],
      ["flai:fl-create", { ...files, proximalMu: "0" }, ["--proximal-mu applies to --strategy fedprox only", "the strategy is fedavg"]],
      ["flai:fl-create", { ...files, trimFraction: "0.1" }, ["--trim-fraction applies to --strategy trimmed-mean only"]],
      ["flai:fl-create", { ...files, strategy: "median" }, ["--strategy median needs --quorum ≥ 3, got 2"]],
      ["flai:fl-create", { ...files, expectedNumExamples: "0" }, ["--expected-num-examples must be"]],
      ["flai:fl-create", { ...files, strategy: "trimmed-mean", trimFraction: "0.5" }, ["--trim-fraction must be a number > 0 and < 0.5"]],
      [
        "flai:fl-create",
        { ...files, strategy: "trimmed-mean", trimFraction: "0" },
        ["--trim-fraction must be a number > 0 and < 0.5", "0 would trim nothing"],
      ],
      ["flai:fl-create", { ...files, strategy: "fedprox", proximalMu: "-1" }, ["--proximal-mu must be a number ≥ 0", `got "-1"`]],
      [
        "flai:fl-create",
        { ...files, evaluation: "old.json" },
        ["given both --test (holdout.json) and --evaluation (old.json)", "Pass --test <file> only"],
      ],
      [
        "flai:fl-create",
        { ...files, public: true, clients: "0x70997970C51812dc3A010C7d01b50e0d17dc79C8" },
        ["--clients admits readers to a private task's models, but --public stores them in plaintext", "Remove --clients or --public"],
      ],
      ["flai:fl-admit", { task: "0", clients: "0x70997970C51812dc3A010C7d01b50e0d17dc79C8" }, [`--task "0" is not a task id`]],
      ["flai:fl-model", { task: "1", out: "m.json", round: "-1" }, [`--round "-1" is not a round`]],
      ["flai:verify", { task: "1", account: "-1" }, ["--account must be a whole number"]],
      ["flai:fl-run", { partition: "dirichlet", alpha: "0" }, ["--alpha must be a number > 0"]],
      ["flai:fl-run", { alpha: "0.5" }, ["--alpha applies to --partition dirichlet only"]],
      ["flai:fl-run", { maxIterations: "0" }, ["--max-iterations must be a whole number from 1"]],
      ["flai:fl-run", { proximalMu: "0" }, ["--proximal-mu applies to --strategy fedprox only"]],
      ["flai:fl-run", { data: "" }, ["--data was given an empty value"]],
      ["flai:fl-create", { ...files, clip: "1", clippingNorm: "1" }, ["Both --clipping-norm", "--clip", "Pass --clipping-norm only"]],
      ["flai:fl-run", { strategy: "fedprox", mu: "0.1", proximalMu: "0.1" }, ["Both --proximal-mu", "--mu", "Pass --proximal-mu only"]],
      ["flai:fl-status", { taskId: "1", task: "2" }, [`was given task id "1" as its argument and --task "2"`]],
      ["flai:job", { jobId: "0" }, [`--job "0" is not a job id`]],
      ["flai:aggregate", { task: "1", round: "0" }, [`--round "0" is not a round`]],
      ["flai:fl-claim", { task: "1", round: "0" }, [`--round "0" is not a round`]],
      ["flai:verify", { task: "1", round: "0" }, [`--round "0" is not a round`]],
      ["flai:verify", { job: "1", round: "1" }, ["--round applies to --task only"]],
      ["flai:job", { job: "0" }, [`--job "0" is not a job id`]],
      ["flai:job", { job: "-1" }, [`--job "-1" is not a job id`]],
      ["flai:job", { job: (2n ** 256n).toString() }, ["larger than the largest uint256"]],
      ["flai:train", { job: "1.5" }, [`--job "1.5" is not a job id`]],
      ["flai:train", { job: "1", payee: "" }, ["--payee was given an empty value"]],
      ["flai:complete", { job: "0x1", result: "r.json" }, [`--job "0x1" is not a job id`]],
      ["flai:verify", { job: "abc" }, [`--job "abc" is not a job id`]],
      ["flai:fl-status", { task: "0" }, [`--task "0" is not a task id`]],
      ["flai:fl-client", { task: "1e3", data: "d.json" }, [`--task "1e3" is not a task id`]],
      ["flai:devnet", { task: "0" }, [`--task "0" is not a task id`]],
      ["flai:market-ping", { prompt: "" }, ["--prompt was given an empty value"]],
      ["flai:market-setup", { ledger: " " }, ["--ledger was given an empty value"]],
    ];
    for (const [id, args, fragments] of rejected) {
      it(`${id} ${JSON.stringify(args)} is rejected: ${fragments[0]}`, async () => {
        await expectFlaiError(() => runTask(hre, id, args), ...fragments);
      });
    }

    describe("on a chain", () => {
      const create = {
        model: path.join(FIXTURES, "model.json"),
        test: path.join(FIXTURES, "data.json"),
        standardizeOn: path.join(FIXTURES, "data.csv"),
        reward: "1",
        json: true,
      };

      async function createdModel(args: Record<string, unknown>) {
        const created = (await runTask(hre, "flai:fl-create", { ...create, ...args })) as { task: { id: string } };
        return hre.flai.fedavg.globalModel(created.task.id);
      }

      it("without --standardize-on, a spec that standardizes is refused before any transaction: the scaling is never fit on --test", async () => {
        const { standardizeOn: _omitted, ...withoutSample } = create;
        const provider = (await hre.network.getOrCreate()).ethers.provider;
        // First on this chain: a late check would show as the deployment's and the enclave's transactions.
        const block = await provider.getBlockNumber();
        await expectFlaiError(
          () => runTask(hre, "flai:fl-create", withoutSample),
          "not fit on the evaluation (--test) set",
          "leak the test data's statistics into training",
          "--standardize-on <file>",
          `"standardize": false or a "standardization" in the spec`,
        );
        expect(await provider.getBlockNumber()).to.equal(block);
      });

      it("--test names the held-out file; --evaluation, its former name, still works and says so", async () => {
        const { test, ...rest } = create;
        const evaluationRoot = (await hre.flai.storage.upload(test)).root;
        // Private (the default): the task stores its own copy of the test set, sealed with the task key.
        const byTest = (await runTask(hre, "flai:fl-create", create)) as { evaluationRoot: string };
        expect(byTest.evaluationRoot)
          .to.match(/^0x[0-9a-f]{64}$/)
          .and.not.equal(evaluationRoot);
        expect(isSealedArtifact(await hre.flai.storage.read(byTest.evaluationRoot))).to.equal(true);
        // --public stores the file's plaintext: its root is the file's own.
        const lines = (await runTask(hre, "flai:fl-create", { ...rest, evaluation: test, public: true, json: false })) as string[];
        expect(lines.join("\n")).to.contain("Note: --evaluation is the former name of --test").and.contain(evaluationRoot);
      });

      it("a deprecated flag still works, with one warning naming the new flag: --clip 5 is --clipping-norm 5", async () => {
        const lines = (await runTask(hre, "flai:fl-create", { ...create, clip: "5", json: false })) as string[];
        const warnings = lines.filter((line) => line.includes("deprecated"));
        expect(warnings).to.deep.equal(["Warning: --clip is deprecated; use --clipping-norm (it was read as --clipping-norm)."]);
        const id = /Federated task (\d+) created/.exec(lines.join("\n"))?.[1];
        expect(id).to.be.a("string");
        expect((await hre.flai.federated.globalModel(id!)).federated.strategy).to.deep.equal({ name: "fedavg", clippingNorm: 5 });
        // The task id positionally, as `flai:fl-status <id>`, is the same as --task <id>.
        const byPosition = (await runTask(hre, "flai:fl-status", { taskId: id, json: true })) as { task: { id: string } };
        expect(byPosition.task.id).to.equal(id);
      });

      it("--strategy trimmed-mean --trim-fraction 0.05 is kept as typed (it still trims one update per end)", async () => {
        const model = await createdModel({ strategy: "trimmed-mean", trimFraction: "0.05", quorum: 3 });
        expect(model.federated.strategy).to.deep.equal({ name: "trimmed-mean", trimFraction: 0.05 });
      });

      it("--expected-num-examples sets round 1's expected total; --standardize-on fits the scaling on that file, not the evaluation set", async () => {
        const model = await createdModel({ expectedNumExamples: "500", standardizeOn: path.join(FIXTURES, "data.csv") });
        expect(model.federated.local).to.include({ expectedNumExamples: 500, maxIterations: 3 });
        const sample = parseDataset(await readFile(path.join(FIXTURES, "data.csv")), "data.csv");
        expect(model.standardization).to.deep.equal(computeStandardization(sample));
      });

      it("--strategy fedprox --proximal-mu 0 --no-drift-correction sets μ = 0, not the 0.01 default; --max-iterations 1 is kept", async () => {
        // --proximal-mu only acts without drift correction (whose own proximal term replaces FedProx's).
        const model = await createdModel({ strategy: "fedprox", proximalMu: "0", maxIterations: "1", noDriftCorrection: true });
        expect(model.federated.local).to.include({ mu: 0, maxIterations: 1 });
        expect(model.federated.local.driftCorrection).to.equal(undefined);
        expect((await createdModel({ strategy: "fedprox" })).federated.local.driftCorrection).to.deep.equal({
          mu: 0.2,
          maxGradientNorm: 10,
        });
      });

      it("--account 0 acts as account 0 and --round-duration is used as typed", async () => {
        const created = (await runTask(hre, "flai:fl-create", { ...create, roundDuration: "7200" })) as { task: { id: string } };
        const status = (await runTask(hre, "flai:fl-status", { task: created.task.id, json: true })) as {
          rounds: Array<{ deadline: string }>;
        };
        const block = await (await hre.network.getOrCreate()).ethers.provider.getBlock("latest");
        expect(Number(status.rounds[0]!.deadline) - block!.timestamp).to.be.within(7190, 7200);
        const update = (await runTask(hre, "flai:fl-client", {
          task: created.task.id,
          data: path.join(FIXTURES, "data.json"),
          account: 0,
          json: true,
        })) as {
          client: string;
        };
        const [first] = await (await hre.network.getOrCreate()).ethers.getSigners();
        expect(update.client).to.equal(first!.address);
        // hre.flai callers get the same round parser: round 0 is not "already finalized".
        await expectFlaiError(() => hre.flai.fedavg.aggregate({ taskId: created.task.id, round: 0 }), `"0" is not a round`);
        await expectFlaiError(() => hre.flai.fedavg.claim({ taskId: created.task.id, round: 0 }), `"0" is not a round`);
      });
    });
  });

  describe("through the hardhat CLI, as a user sees it", () => {
    // This repository's own project loads the plugin from source; these runs stop before any chain work.
    const cwd = packageRoot();

    it("one error names every missing option, without a stack trace", async () => {
      const run = await runHardhat(["flai:submit"], { cwd });
      expect(run.code).to.equal(1);
      expect(run.stderr + run.stdout).to.contain("flai:submit is missing the required options --data, --model, --reward");
      expect(run.stderr + run.stdout).to.contain("Example: npx hardhat flai:submit --data");
      expect(run.stderr + run.stdout).not.to.match(/^\s+at /m);
    });

    it("a typed 0 is rejected by name", async () => {
      const run = await runHardhat(["flai:aggregate", "--task", "1", "--round", "0"], { cwd });
      expect(run.code).to.equal(1);
      expect(run.stderr + run.stdout).to.contain(`--round "0" is not a round`);
    });

    it("the subject id can be the first argument: flai:job 0 is read as the job id", async () => {
      const run = await runHardhat(["flai:job", "0"], { cwd });
      expect(run.code).to.equal(1);
      expect(run.stderr + run.stdout).to.contain(`--job "0" is not a job id`);
    });

    it("help shows no placeholder defaults and says where --deadline's default comes from", async () => {
      const run = await runHardhat(["flai:submit", "--help"], { cwd });
      expect(run.code, run.stderr).to.equal(0);
      expect(run.stdout).not.to.contain("(default: )");
      expect(run.stdout).not.to.contain("(default: 0)");
      expect(run.stdout).to.match(/--deadline\s+Seconds until the submitter may cancel; when left out, flai\.jobs\.deadlineSeconds/);
      expect(run.stdout).to.match(/--data\s+Dataset file .*\(required\)/);
    });
  });
});
