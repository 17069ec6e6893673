import path from "node:path";

import { expect } from "chai";

import type { FlaiConnection } from "../../src/chain/connection.js";
import { derivedClientAddress, simulationClients } from "../../src/federated/simulation-accounts.js";
import { runSimulation } from "../../src/federated/simulation.js";

import { expectFlaiError } from "../helpers/assert.js";
import { FIXTURES, tempProject } from "../helpers/project.js";

describe("fl-run: client accounts beyond the configured ones", function () {
  this.timeout(300_000);

  it("derives the same distinct addresses in every run, none of them a default account", async () => {
    const { hre } = await tempProject();
    const connection = await hre.network.connect();
    const defaults = new Set((await connection.ethers.getSigners()).map((s) => s.address));
    const derived = Array.from({ length: 100 }, (_, i) => derivedClientAddress(i));
    expect(new Set(derived).size).to.equal(100);
    expect(derived.some((a) => defaults.has(a))).to.equal(false);
    expect(derivedClientAddress(0)).to.equal(derived[0]);
    const clients = await simulationClients(connection, 25);
    expect(clients.map((c) => c.address)).to.deep.equal([...defaults].slice(1, 20).concat(derived.slice(0, 6)));
    // Funded without a transaction: no block is mined for them.
    expect(await connection.ethers.provider.getBalance(derived[5]!)).to.equal(10n ** 22n);
    expect(await connection.ethers.provider.getBlockNumber()).to.equal(0);
  });

  it("runs more clients than the network has accounts on the simulated chain: every update accepted, every reward claimed", async () => {
    const { hre } = await tempProject();
    const result = await runSimulation(hre, hre.flai, {
      data: path.join(FIXTURES, "data.json"),
      clients: 24,
      rounds: 1,
      partition: "iid",
      seed: 1,
      strategy: { name: "fedavg" },
      reward: "1",
    });
    expect(result.clientAddresses).to.have.length(24);
    expect(result.clientAddresses.slice(19)).to.deep.equal([0, 1, 2, 3, 4].map(derivedClientAddress));
    const round = result.rounds[0]!;
    expect(round.accepted.map((a) => a.client).sort()).to.deep.equal([...result.clientAddresses].sort());
    expect(round.rejected).to.have.length(0);
    expect(result.rewards.claimed).to.equal(result.rewards.pool);
    expect(round.verified).to.equal(true);
  });

  it("on a network that is not the simulated chain, says how many accounts the clients need and how to configure them", async () => {
    const fake = {
      networkName: "galileo",
      networkConfig: { type: "http" },
      ethers: { getSigners: async () => [{ address: "0x1" }, { address: "0x2" }, { address: "0x3" }] },
    } as unknown as FlaiConnection;
    expect(await simulationClients(fake, 2)).to.deep.equal([{ address: "0x2" }, { address: "0x3" }]);
    await expectFlaiError(() => simulationClients(fake, 5), "--clients 5 needs 6 accounts", '"galileo" has 3', "count: 6", "fund them");
  });
});
