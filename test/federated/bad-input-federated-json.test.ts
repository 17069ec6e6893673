import { createHash } from "node:crypto";
import { mkdir, mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";

import { PendingUpdates } from "../../src/federated/follow-pending.js";
import { commitRoundInputs, type RoundKey } from "../../src/federated/round-record.js";
import { canonicalJson } from "../../src/ml/model.js";
import { machineSealingSecret } from "../../src/tee/machine.js";
import { seal } from "../../src/tee/sealing.js";
import { expectFlaiError } from "../helpers/assert.js";

// The follower's kept updates and the enclave's round records are JSON files on the host's disk: they go
// through the shared input readers, so a folder in their place or a duplicate key is a clear error.
const PENDING_KEY = { chainId: 31337n, contract: "0x" + "ab".repeat(20), taskId: 1n, round: 1, client: "0x" + "cd".repeat(20) };
const ROUND_KEY: RoundKey = {
  chainId: "31337",
  contract: "0x" + "ab".repeat(20),
  taskId: "1",
  round: 1,
  previousHash: "0x" + "00".repeat(32),
};
const INPUTS = { inputHash: "0x" + "11".repeat(32), accepted: [], recorded: 0 };

async function roundRecordPath(enclaveDir: string): Promise<{ file: string; label: string }> {
  const name = createHash("sha256").update(canonicalJson(ROUND_KEY)).digest("hex");
  return { file: path.join(enclaveDir, "rounds", `${name}.sealed`), label: `hardhat-flai/round-record/${name}` };
}

describe("fedavg JSON files read as checked inputs (issue 15)", () => {
  it("a directory where a kept update should be is named, with how to fix it", async () => {
    const pending = new PendingUpdates(await mkdtemp(path.join(tmpdir(), "flai-pending-")));
    const file = pending.fileOf(PENDING_KEY);
    await mkdir(file, { recursive: true });
    await expectFlaiError(() => pending.load(PENDING_KEY), `The kept update ${file} is unusable`, "is a directory", "Delete it");
  });

  it("a kept update with a duplicate key is unusable, naming the line", async () => {
    const pending = new PendingUpdates(await mkdtemp(path.join(tmpdir(), "flai-pending-")));
    const file = pending.fileOf(PENDING_KEY);
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, '{\n"round": 1,\n"round": 2\n}\n');
    await expectFlaiError(() => pending.load(PENDING_KEY), `The kept update ${file} is unusable`, "line 3", `key "round" appears twice`);
  });

  it("a directory where the enclave's round record should be is named", async () => {
    const enclaveDir = await mkdtemp(path.join(tmpdir(), "flai-enclave-"));
    const { file } = await roundRecordPath(enclaveDir);
    await mkdir(file, { recursive: true });
    await expectFlaiError(() => commitRoundInputs(enclaveDir, ROUND_KEY, INPUTS), `The enclave's round record "${file}" is a directory`);
  });

  it("a sealed round record whose JSON has a duplicate key is refused, naming the line", async () => {
    const enclaveDir = await mkdtemp(path.join(tmpdir(), "flai-enclave-"));
    const { file, label } = await roundRecordPath(enclaveDir);
    await mkdir(path.dirname(file), { recursive: true });
    const text = '{\n"recorded": 0,\n"recorded": 5\n}';
    await writeFile(file, seal(Buffer.from(text), await machineSealingSecret(), label));
    await expectFlaiError(
      () => commitRoundInputs(enclaveDir, ROUND_KEY, INPUTS),
      `The enclave's round record ${file} line 3`,
      `key "recorded" appears twice`,
    );
  });
});
