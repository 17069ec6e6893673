import { expect } from "chai";

import { loadFlaiArtifact } from "../../src/chain/artifact.js";
import {
  CONTRACT_FIELDS,
  MAX_CLIENTS,
  MAX_DEADLINE_SECONDS,
  MAX_JOB_DEADLINE,
  MAX_QUORUM,
  MAX_ROUND_DURATION_SECONDS,
  MAX_ROUNDS,
  UINT64_MAX,
  uintMax,
} from "../../src/limits.js";

interface AbiInput {
  name: string;
  type: string;
}
interface AbiEntry {
  type: string;
  name?: string;
  inputs?: AbiInput[];
}

/** The Solidity type of one function input, as the compiled contract the plugin ships declares it. */
function abiType(contract: string, fn: string, input: string): string | undefined {
  const abi = loadFlaiArtifact(contract).abi as AbiEntry[];
  const entry = abi.find((e) => e.type === "function" && e.name === fn);
  return entry?.inputs?.find((i) => i.name === input)?.type;
}

describe("limits", () => {
  for (const [name, field] of Object.entries(CONTRACT_FIELDS)) {
    it(`${name} is ${field.contract}.${field.function}'s ${field.input}, a ${field.type}`, () => {
      expect(abiType(field.contract, field.function, field.input)).to.equal(field.type);
    });
  }

  it("each limit is the largest value of its field's type", () => {
    expect(uintMax("uint16")).to.equal(65535n);
    expect(uintMax("uint40")).to.equal(2n ** 40n - 1n);
    expect([MAX_ROUNDS, MAX_QUORUM, MAX_CLIENTS]).to.deep.equal([65535, 65535, 65535]);
    expect(MAX_ROUND_DURATION_SECONDS).to.equal(2 ** 32 - 1);
    expect(MAX_DEADLINE_SECONDS).to.equal(MAX_ROUND_DURATION_SECONDS);
    expect(MAX_JOB_DEADLINE).to.equal(2n ** 40n - 1n);
    expect(UINT64_MAX).to.equal(2n ** 64n - 1n);
  });
});
