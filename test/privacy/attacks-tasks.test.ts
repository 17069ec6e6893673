import { createHash, randomBytes } from "node:crypto";

import { expect } from "chai";
import { getBytes, Wallet } from "ethers";

import { flaiErrorCode } from "../../src/errors.js";
import { runAggregation, type AggregateRequest } from "../../src/federated/aggregator.js";
import { globalModelBytes, parseGlobalModel } from "../../src/federated/global-model.js";
import { inputRefusalOf } from "../../src/federated/input-checks.js";
import { openPreviousModel, openTaskModel, sealTaskModel, taskKeysFor, type TaskContext } from "../../src/federated/task-models.js";
import { isSealedArtifact } from "../../src/privacy/artifact.js";
import {
  buildKeyring,
  parseKeyring,
  serializeKeyring,
  unwrapTaskKey,
  wrapTaskKey,
  type Keyring,
  type ReaderIdentity,
} from "../../src/privacy/keyring.js";
import { readerKeyFromAccountKey } from "../../src/privacy/reader-key.js";
import { computeRoot } from "../../src/storage/merkle.js";
import { loadOrCreateIdentity, unsealSecrets } from "../../src/tee/identity.js";

import { aggregateRequest, evaluationBytes, zeroModel } from "../helpers/aggregate-request.js";
import { errorOf } from "../helpers/project.js";

const sha256 = (b: Uint8Array) => "0x" + createHash("sha256").update(b).digest("hex");
const PLAINTEXT_MARKERS = ["flai-global-model", "logistic-regression", "weights", "evaluationRoot"];

function identity(): ReaderIdentity {
  const wallet = Wallet.createRandom();
  return { address: wallet.address, ...readerKeyFromAccountKey(wallet.privateKey) };
}

/**
 * Issue 17 under attack, federated tasks: a private task's models and keyrings against a host that
 * hands the aggregation enclave what it likes, clients that were never admitted or copy others'
 * entries, and ciphertexts or keyrings moved between tasks and rounds. Each test is one attack and
 * shows it refused, or that it yields ciphertext only.
 */
describe("privacy: attacks on private tasks (issue 17)", function () {
  this.timeout(120_000);
  const creator = identity();
  const client = identity();
  const outsider = identity();
  const host = identity();
  let honest: () => AggregateRequest;
  let ctx: TaskContext;
  let enclave: ReaderIdentity & { signer: string };
  let taskKey: Uint8Array;
  let keyring: Uint8Array;
  let initialPlain: Uint8Array;

  /** Round 1 of a private task: the initial model sealed with K, one keyring for the enclave, the creator and a client. */
  before(async () => {
    const publicRequest = await aggregateRequest();
    const first = publicRequest();
    const id = await loadOrCreateIdentity(first.enclaveDir);
    const secret = getBytes((await unsealSecrets(first.enclaveDir)).encryptionSecret);
    enclave = { address: id.signer, signer: id.signer, secret, publicKey: id.encryptionKey };
    ctx = { chainId: BigInt(first.binding.chainId), contract: first.binding.contract, taskId: BigInt(first.binding.taskId) };
    taskKey = new Uint8Array(randomBytes(32));
    initialPlain = first.globalModel;
    keyring = keyringBytes(creator, taskKey, [enclave, creator, client]);
    honest = () => {
      const req = publicRequest();
      return { ...req, globalModel: sealTaskModel(req.globalModel, taskKey, ctx, 0), keyrings: [new Uint8Array(keyring)] };
    };
  });

  function keyringBytes(by: ReaderIdentity, key: Uint8Array, readers: { address: string; publicKey: string }[], forTask = ctx): Uint8Array {
    return serializeKeyring(
      buildKeyring({
        ...forTask,
        creator: by,
        taskKey: key,
        readers: readers.map((r) => ({ address: r.address, readerKey: r.publicKey })),
      }),
    );
  }

  function expectCiphertext(bytes: Uint8Array, what: string) {
    expect(isSealedArtifact(bytes), `${what} is sealed`).to.equal(true);
    const text = Buffer.from(bytes).toString("latin1");
    for (const marker of PLAINTEXT_MARKERS) expect(text, `${what} holds no "${marker}"`).to.not.contain(marker);
  }

  it("honest baseline: the enclave aggregates a private round and stores the new model sealed with K, rooted by itself", async () => {
    const response = await runAggregation(honest());
    expectCiphertext(response.globalModel, "the round 1 model");
    expect(response.result.globalRoot).to.equal(computeRoot(response.globalModel));
    const plain = openTaskModel(response.globalModel, taskKey, ctx, 1, response.result.globalHash);
    expect(sha256(plain)).to.equal(response.result.globalHash);
  });

  it("attack: the host hands only a keyring of its own (K' wrapped to the enclave): refused, nothing aggregated or signed", async () => {
    const kPrime = new Uint8Array(randomBytes(32));
    const forged = keyringBytes(host, kPrime, [enclave]);
    const refused = await errorOf(() => runAggregation({ ...honest(), keyrings: [forged] }));
    expect(flaiErrorCode(refused), refused.message).to.equal("previous-model-unreadable");
    expect(refused.message).to.contain("Nothing was aggregated or signed");
  });

  it("attack: the host adds its own keyring beside the creator's, first: the new model is still sealed with the task's K, not the host's K'", async () => {
    const kPrime = new Uint8Array(randomBytes(32));
    const forged = keyringBytes(host, kPrime, [enclave, host]);
    const response = await runAggregation({ ...honest(), keyrings: [forged, new Uint8Array(keyring)] });
    expect(flaiErrorCode(await errorOf(() => openTaskModel(response.globalModel, kPrime, ctx, 1, response.result.globalHash)))).to.equal(
      "artifact-not-authentic",
    );
    expect(sha256(openTaskModel(response.globalModel, taskKey, ctx, 1, response.result.globalHash))).to.equal(response.result.globalHash);
  });

  it("attack: the host hands a plaintext stand-in for a private task's previous model, to get the round's model out in the clear", async () => {
    // The host rebuilds the initial model from what is public (format, features, rules, evaluation
    // root) but cannot guess its 32-byte random nonce, so its bytes do not hash to the on-chain hash.
    const req = honest();
    const standIn = globalModelBytes(zeroModel(12, evaluationBytes(8, 20, 12), { name: "fedavg" }));
    const withRealHash = await errorOf(() => runAggregation({ ...req, globalModel: standIn }));
    expect(inputRefusalOf(withRealHash), withRealHash.message).to.equal("previous-model-mismatch");
    // Claiming the stand-in's own hash instead: every client trained from the real model, so no update is
    // taken in (out of round) and nothing comes out; a forced signature would revert at finalize anyway.
    // Through errorOf, so the error-output scan sees the refusal: its line is bounded (a count per code).
    const withOwnHash = await errorOf(() => runAggregation({ ...honest(), globalModel: standIn, globalHash: sha256(standIn) }));
    expect(withOwnHash.message).to.contain("[nothing-accepted]").and.contain("[out-of-round] ×");
  });

  it("attack: an admitted reader hosting the aggregator hands the real previous model in plaintext (its true hash), to get the next one out in the clear: refused", async () => {
    const key = new Uint8Array(randomBytes(32));
    const privateRequest = await aggregateRequest({ sealed: { taskKey: key } });
    const req = privateRequest();
    const plain = openTaskModel(req.globalModel, key, ctx, 0, req.globalHash);
    expect(parseGlobalModel(plain, "the model").federated.sealed, "a private task's model says so").to.equal(true);
    const refused = await errorOf(() => runAggregation({ ...privateRequest(), globalModel: plain, keyrings: [] }));
    expect(inputRefusalOf(refused), refused.message).to.equal("private-model-in-clear");
    expect(refused.message).to.contain("Nothing was aggregated or signed");
    // As stored, it aggregates, and the next model is sealed again.
    expectCiphertext((await runAggregation(privateRequest())).globalModel, "the next model");
  });

  it("attack: the host hands the real plaintext hash but a sealed model of round r−2 or of another task: refused", async () => {
    const otherCtx = { ...ctx, taskId: ctx.taskId + 1n };
    for (const [what, sealed] of [
      ["round 1's binding", sealTaskModel(initialPlain, taskKey, ctx, 1)],
      ["another task's round", sealTaskModel(initialPlain, taskKey, otherCtx, 1)],
    ] as const) {
      const refused = await errorOf(() => runAggregation({ ...honest(), globalModel: sealed }));
      expect(flaiErrorCode(refused), `${what}: ${refused.message}`).to.equal("previous-model-unreadable");
    }
  });

  it("attack: a round r model replayed as round r', or a task A model as task B's: the reader refuses it", async () => {
    const plain = new TextEncoder().encode('{"model":"round 2"}');
    const sealed = sealTaskModel(plain, taskKey, ctx, 2);
    const hash = sha256(plain);
    expect(sha256(openTaskModel(sealed, taskKey, ctx, 2, hash))).to.equal(hash);
    for (const [what, c, round] of [
      ["round 3", ctx, 3],
      ["round 1", ctx, 1],
      ["the initial model", ctx, 0],
      ["task B, same key", { ...ctx, taskId: 99n }, 2],
      ["another contract", { ...ctx, contract: host.address }, 2],
      ["another chain", { ...ctx, chainId: 1n }, 2],
    ] as const) {
      const refused = await errorOf(() => openTaskModel(sealed, taskKey, c, round, hash));
      expect(flaiErrorCode(refused), what).to.equal("artifact-not-authentic");
    }
    // Opens, but is not the model the chain names: the hash check refuses it.
    const mismatch = await errorOf(() => openTaskModel(sealed, taskKey, ctx, 2, sha256(new Uint8Array(1))));
    expect(flaiErrorCode(mismatch)).to.equal("model-hash-mismatch");
  });

  it("attack: task A's initial model (bound to id 0) replayed as task B's: B's key does not open it", async () => {
    const sealedA = sealTaskModel(initialPlain, taskKey, ctx, 0);
    const keyB = new Uint8Array(randomBytes(32));
    const refused = await errorOf(() => openTaskModel(sealedA, keyB, { ...ctx, taskId: 2n }, 0, sha256(initialPlain)));
    expect(flaiErrorCode(refused)).to.equal("artifact-not-authentic");
  });

  it("attack: task A's keyring replayed for task B, as it is or with its task id rewritten: refused", async () => {
    const parsed = parseKeyring(keyring, "keyring A");
    const taskB = { ...ctx, taskId: ctx.taskId + 1n };
    expect(flaiErrorCode(await errorOf(() => unwrapTaskKey(parsed, client, taskB)))).to.equal("keyring-wrong-task");
    const rewritten: Keyring = { ...parsed, taskId: taskB.taskId };
    expect(flaiErrorCode(await errorOf(() => unwrapTaskKey(rewritten, client, taskB)))).to.equal("keyring-not-authentic");
    // The same task id on a redeployed contract or another chain: as it is, and rewritten to it.
    for (const other of [
      { ...ctx, contract: host.address },
      { ...ctx, chainId: 1n },
    ]) {
      expect(flaiErrorCode(await errorOf(() => unwrapTaskKey(parsed, client, other)))).to.equal("keyring-wrong-task");
      const moved: Keyring = { ...parsed, chainId: other.chainId, contract: other.contract };
      expect(flaiErrorCode(await errorOf(() => unwrapTaskKey(moved, client, other)))).to.equal("keyring-not-authentic");
    }
    // Through the enclave's path: task A's keyring handed for task B's round gives no key.
    expect(taskKeysFor([keyring], client, taskB).keys).to.have.length(0);
    // The enclave's own entry opens task A's model (so the refusal below is the task id's doing).
    expect(openPreviousModel(sealTaskModel(initialPlain, taskKey, ctx, 0), [keyring], enclaveReader(), ctx, 1).taskKey).to.not.equal(null);
    const inB = await errorOf(() =>
      openPreviousModel(sealTaskModel(initialPlain, taskKey, taskB, 0), [keyring], enclaveReader(), taskB, 1),
    );
    expect(flaiErrorCode(inB)).to.equal("previous-model-unreadable");
  });

  /** The enclave as a reader, with its secret (unsealed as the worker does). */
  function enclaveReader(): ReaderIdentity {
    return { address: enclave.address, secret: enclave.secret, publicKey: enclave.publicKey };
  }

  it("attack: reader Y uses reader X's keyring entry (as it is, renamed to itself, or with its own key put in)", async () => {
    const parsed = parseKeyring(keyring, "keyring");
    const xEntry = parsed.entries.find((e) => e.reader === client.address)!;
    // As it is: the entry names X, so Y has none.
    expect(flaiErrorCode(await errorOf(() => unwrapTaskKey(parsed, outsider, ctx)))).to.equal("keyring-no-entry");
    // Renamed to Y, and/or with Y's reader key: the wrap is bound to X and X's key (pair key and AAD).
    for (const [entry, code] of [
      [{ ...xEntry, reader: outsider.address }, "keyring-no-entry"], // still wrapped to X's key, not Y's
      [{ ...xEntry, reader: outsider.address, readerKey: outsider.publicKey }, "keyring-not-authentic"],
    ] as const) {
      const forged: Keyring = { ...parsed, entries: [entry] };
      expect(flaiErrorCode(await errorOf(() => unwrapTaskKey(forged, outsider, ctx)))).to.equal(code);
    }
    // Y claiming to be X, with its own secret: the pair key is X's, which Y cannot derive.
    const claiming = { ...outsider, address: client.address, publicKey: client.publicKey };
    expect(flaiErrorCode(await errorOf(() => unwrapTaskKey(parsed, claiming, ctx)))).to.equal("keyring-not-authentic");
    // X itself unwraps K: the entry works for the one it was made for.
    expect(Buffer.from(unwrapTaskKey(parsed, client, ctx)).equals(Buffer.from(taskKey))).to.equal(true);
  });

  it("attack: a client registers another reader's public key as its own and gets admitted: it still cannot unwrap", async () => {
    // The registry lets any account set any key for itself (only for itself). A copier admitted under
    // X's key gets an entry bound to the copier's address, wrapped to a key whose secret it lacks.
    const copier = { ...outsider, publicKey: client.publicKey };
    const ring = parseKeyring(keyringBytes(creator, taskKey, [copier]), "keyring");
    expect(flaiErrorCode(await errorOf(() => unwrapTaskKey(ring, outsider, ctx)))).to.equal("keyring-no-entry");
    const withCopiedKey = { ...outsider, publicKey: client.publicKey };
    expect(flaiErrorCode(await errorOf(() => unwrapTaskKey(ring, withCopiedKey, ctx)))).to.equal("keyring-not-authentic");
  });

  it("attack: a client registers a low-order reader key, so K would be wrapped under a shared secret anyone knows: never wrapped", async () => {
    const lowOrder = "0x" + "00".repeat(32);
    const one = "0x01" + "00".repeat(31);
    for (const readerKey of [lowOrder, one]) {
      const refused = await errorOf(() => keyringBytes(creator, taskKey, [{ address: outsider.address, publicKey: readerKey }]));
      expect(flaiErrorCode(refused), refused.message).to.equal("reader-key-invalid");
    }
    // A keyring forged with a low-order creatorKey gives no reader a key either.
    const parsed = parseKeyring(keyring, "keyring");
    const refused = await errorOf(() => unwrapTaskKey({ ...parsed, creatorKey: one }, client, ctx));
    expect(flaiErrorCode(refused)).to.equal("reader-key-invalid");
  });

  it("attack: a client never admitted reads a private task's model: no keyring entry, and storage serves ciphertext only", async () => {
    const response = await runAggregation(honest());
    expectCiphertext(response.globalModel, "the stored model");
    const { keys, codes } = taskKeysFor([keyring], outsider, ctx);
    expect(keys).to.have.length(0);
    expect(codes).to.deep.equal(["keyring-no-entry"]);
    for (const key of [new Uint8Array(randomBytes(32)), new Uint8Array(32)]) {
      expect(flaiErrorCode(await errorOf(() => openTaskModel(response.globalModel, key, ctx, 1, response.result.globalHash)))).to.equal(
        "artifact-not-authentic",
      );
    }
  });

  it("attack: a keyring entry with its wrapped key cut short, extended or re-nonced is refused by the parser or the tag", async () => {
    const parsed = parseKeyring(keyring, "keyring");
    const entry = parsed.entries.find((e) => e.reader === client.address)!;
    const doc = JSON.parse(new TextDecoder().decode(keyring)) as { entries: { reader: string; wrappedKey: string; nonce: string }[] };
    const at = doc.entries.findIndex((e) => e.reader === client.address);
    for (const change of [
      { wrappedKey: entry.wrappedKey.slice(0, -2) },
      { wrappedKey: entry.wrappedKey + "00" },
      { nonce: "0x" + "00".repeat(12) },
    ]) {
      const bad = structuredClone(doc);
      Object.assign(bad.entries[at]!, change);
      const bytes = new TextEncoder().encode(JSON.stringify(bad));
      const error = await errorOf(() => unwrapTaskKey(parseKeyring(bytes, "keyring"), client, ctx));
      expect(error.message).to.match(/not a valid flai-keyring|failed authentication/);
    }
    // Two wraps of K to one reader (fl-create, then fl-admit again) never share a GCM nonce.
    const a = wrapTaskKey(taskKey, creator, { address: client.address, readerKey: client.publicKey }, ctx);
    const b = wrapTaskKey(taskKey, creator, { address: client.address, readerKey: client.publicKey }, ctx);
    expect(a.nonce).to.not.equal(b.nonce);
    expect(a.wrappedKey).to.not.equal(b.wrappedKey);
  });
});
