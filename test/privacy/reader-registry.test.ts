import { expect } from "chai";
import { Contract } from "ethers";
import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { loadFlaiArtifact } from "../../src/chain/artifact.js";
import type { FlaiConnection } from "../../src/chain/connection.js";
import { accountPrivateKey } from "../../src/chain/account-key.js";
import { readerKeyFromAccountKey } from "../../src/privacy/reader-key.js";
import { ensureReaderKey, readerKeyOf, registeredReaderKey } from "../../src/privacy/reader-registry.js";

import { tempProject } from "../helpers/project.js";

describe("privacy/reader-registry", function () {
  this.timeout(60_000);
  let hre: HardhatRuntimeEnvironment;
  let connection: FlaiConnection;
  let jobs: string;

  before(async () => {
    ({ hre } = await tempProject());
    connection = await hre.network.create();
    jobs = (await hre.flai.jobs.deployment({ connection })).address;
  });

  const nonceOf = (address: string) => connection.ethers.provider.getTransactionCount(address);

  it("readerKeyOf: the account's address and the reader key derived from its configured key", async () => {
    const signers = await connection.ethers.getSigners();
    const me = await readerKeyOf(connection, 2);
    expect(me.address).to.equal(signers[2]!.address);
    const derived = readerKeyFromAccountKey(await accountPrivateKey(connection, 2));
    expect(me.publicKey).to.equal(derived.publicKey);
    expect(Buffer.from(me.secret).equals(derived.secret)).to.equal(true);
  });

  it("ensureReaderKey registers once; again it only reads; registeredReaderKey returns it", async () => {
    const me = await readerKeyOf(connection, 1);
    expect(await registeredReaderKey(connection, jobs, me.address)).to.equal(undefined);
    const before = await nonceOf(me.address);
    const got = await ensureReaderKey(connection, 1, jobs);
    expect(got.publicKey).to.equal(me.publicKey);
    expect(await nonceOf(me.address)).to.equal(before + 1);
    expect(await registeredReaderKey(connection, jobs, me.address)).to.equal(me.publicKey);
    expect(await registeredReaderKey(connection, jobs, me.address.toLowerCase())).to.equal(me.publicKey);
    await ensureReaderKey(connection, 1, jobs);
    expect(await nonceOf(me.address)).to.equal(before + 1);
  });

  it("ensureReaderKey replaces a key the account set some other way", async () => {
    const signers = await connection.ethers.getSigners();
    const registry = new Contract(jobs, loadFlaiArtifact("FLAIComputeJobs").abi, signers[3]);
    await (await registry.getFunction("setReaderKey")("0x" + "11".repeat(32))).wait();
    const me = await readerKeyOf(connection, 3);
    expect(await registeredReaderKey(connection, jobs, me.address)).to.equal("0x" + "11".repeat(32));
    await ensureReaderKey(connection, 3, jobs);
    expect(await registeredReaderKey(connection, jobs, me.address)).to.equal(me.publicKey);
  });
});
