import { rm } from "node:fs/promises";

import { expect } from "chai";

import { GWEI, ignitionPriorityFee, minPriorityFee, policyFees, policyGasPrice } from "../../src/chain/fees.js";
import { withFeePolicy } from "../../src/chain/networks.js";

import { expectFlaiError } from "../helpers/assert.js";
import { tempProject } from "../helpers/project.js";

const GALILEO = 16602n;
const MAINNET = 16661n;
const HARDHAT = 31337n;

describe("fees: the fee policy (pure)", () => {
  it("0G chains have a 2 gwei floor; other chains none", () => {
    expect(minPriorityFee(GALILEO)).to.equal(2n * GWEI);
    expect(minPriorityFee(16661)).to.equal(2n * GWEI);
    expect(minPriorityFee(HARDHAT)).to.equal(undefined);
    expect(minPriorityFee(1n)).to.equal(undefined);
  });

  it("EIP-1559: the tip is raised to the floor and maxFeePerGas = 2 × base fee + tip", () => {
    expect(policyFees(GALILEO, { baseFeePerGas: 3n * GWEI, suggestedTip: 1n })).to.deep.equal({
      maxPriorityFeePerGas: 2n * GWEI,
      maxFeePerGas: 8n * GWEI,
    });
    expect(policyFees(MAINNET, { baseFeePerGas: 0n })).to.deep.equal({ maxPriorityFeePerGas: 2n * GWEI, maxFeePerGas: 2n * GWEI });
  });

  it("a suggested tip above the floor is kept (a congested chain asks for more)", () => {
    expect(policyFees(GALILEO, { baseFeePerGas: GWEI, suggestedTip: 5n * GWEI })).to.deep.equal({
      maxPriorityFeePerGas: 5n * GWEI,
      maxFeePerGas: 7n * GWEI,
    });
  });

  it("a chain without a base fee gets a legacy price of at least the floor", () => {
    expect(policyFees(GALILEO, { baseFeePerGas: null, suggestedGasPrice: 1n })).to.deep.equal({ gasPrice: 2n * GWEI });
    expect(policyFees(GALILEO, { baseFeePerGas: null, suggestedGasPrice: 9n * GWEI })).to.deep.equal({ gasPrice: 9n * GWEI });
  });

  it("legacy: gasPrice ≥ base fee + floor, so gasPrice − base fee tips at least 2 gwei", () => {
    expect(policyGasPrice(GALILEO, { baseFeePerGas: 4n * GWEI, suggestedGasPrice: 4n * GWEI + 1n })).to.equal(6n * GWEI);
    expect(policyGasPrice(GALILEO, { baseFeePerGas: 4n * GWEI, suggestedGasPrice: 10n * GWEI })).to.equal(10n * GWEI);
  });

  it("chains without a floor are left alone (undefined: the wallet decides)", () => {
    expect(policyFees(HARDHAT, { baseFeePerGas: GWEI, suggestedTip: 1n })).to.equal(undefined);
    expect(policyGasPrice(HARDHAT, { baseFeePerGas: GWEI, suggestedGasPrice: 1n })).to.equal(undefined);
  });

  it("Ignition's priority fee: raised to the floor, a higher configured one kept, other chains untouched", () => {
    expect(ignitionPriorityFee(GALILEO, undefined)).to.equal(2n * GWEI);
    expect(ignitionPriorityFee(GALILEO, 1n)).to.equal(2n * GWEI);
    expect(ignitionPriorityFee(GALILEO, 3n * GWEI)).to.equal(3n * GWEI);
    expect(ignitionPriorityFee(HARDHAT, undefined)).to.equal(undefined);
    expect(ignitionPriorityFee(HARDHAT, 7n)).to.equal(7n);
  });

  it("bad numbers are plugin errors naming the field", async () => {
    await expectFlaiError(() => policyFees(GALILEO, { baseFeePerGas: -1n }), "base fee", "negative");
    await expectFlaiError(() => minPriorityFee(1.5), "chain id", "whole number");
    await expectFlaiError(() => ignitionPriorityFee(GALILEO, -2n), "ignition.maxPriorityFeePerGas");
  });

  it("config: networks that declare a 0G chain id get Ignition's priority fee floor; others are unchanged", () => {
    const config = withFeePolicy({
      networks: {
        mine: { type: "http", url: "http://127.0.0.1:1", chainId: 16602 },
        generous: { type: "http", url: "http://127.0.0.1:2", chainId: 16661, ignition: { maxPriorityFeePerGas: 5n * GWEI } },
        local: { type: "http", url: "http://127.0.0.1:3", chainId: 31337 },
        undeclared: { type: "http", url: "http://127.0.0.1:4" },
      },
    });
    expect(config.networks!.mine!.ignition?.maxPriorityFeePerGas).to.equal(2n * GWEI);
    expect(config.networks!.generous!.ignition?.maxPriorityFeePerGas).to.equal(5n * GWEI);
    expect(config.networks!.local!.ignition).to.equal(undefined);
    expect(config.networks!.undeclared!.ignition).to.equal(undefined);
  });

  it("through Hardhat's config resolution: the presets and a user's own 0G network carry the floor for Ignition", async () => {
    const { hre, root } = await tempProject({
      networks: { mine: { type: "http", url: "http://127.0.0.1:1", chainId: 16661, ignition: { maxPriorityFeePerGas: 1n } } },
    });
    try {
      expect(hre.config.networks.galileo!.ignition.maxPriorityFeePerGas).to.equal(2n * GWEI);
      expect(hre.config.networks["zerog-mainnet"]!.ignition.maxPriorityFeePerGas).to.equal(2n * GWEI);
      expect(hre.config.networks.mine!.ignition.maxPriorityFeePerGas).to.equal(2n * GWEI);
      expect(hre.config.networks.default!.ignition.maxPriorityFeePerGas).to.equal(undefined);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});
