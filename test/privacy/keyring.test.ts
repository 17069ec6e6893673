import { randomBytes } from "node:crypto";

import { expect } from "chai";
import { computeAddress } from "ethers";

import { flaiErrorCode } from "../../src/errors.js";
import { MAX_KEYRING_BYTES, MAX_KEYRING_ENTRIES } from "../../src/limits.js";
import {
  buildKeyring,
  parseKeyring,
  serializeKeyring,
  taskKeyCandidates,
  unwrapTaskKey,
  wrapTaskKey,
  type Keyring,
} from "../../src/privacy/keyring.js";
import { readerKeyFromAccountKey } from "../../src/privacy/reader-key.js";

import { expectFlaiError } from "../helpers/assert.js";

function party(seed: string) {
  const key = "0x" + seed.repeat(32);
  return { address: computeAddress(key), ...readerKeyFromAccountKey(key) };
}
const creator = party("c1");
const alice = party("a1");
const bob = party("b2");
const outsider = party("d4");
const ctx = { chainId: 31337n, contract: "0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512", taskId: 9n };
const taskKey = randomBytes(32);
const make = (readers = [alice, bob]) =>
  buildKeyring({ ...ctx, creator, taskKey, readers: readers.map((r) => ({ address: r.address, readerKey: r.publicKey })) });
const text = (k: Keyring) => new TextDecoder().decode(serializeKeyring(k));
const bytesOf = (doc: unknown) => new TextEncoder().encode(JSON.stringify(doc));

async function expectCode(fn: () => unknown, code: string, ...fragments: string[]) {
  expect(flaiErrorCode(await expectFlaiError(fn, ...fragments))).to.equal(code);
}

describe("privacy/keyring", () => {
  it("every admitted reader unwraps the task key; the creator can admit itself", () => {
    const keyring = make([alice, bob, creator]);
    for (const reader of [alice, bob, creator]) {
      expect(Buffer.from(unwrapTaskKey(keyring, reader, ctx)).equals(taskKey)).to.equal(true);
    }
  });

  it("serializes as canonical JSON and parses back to the same keyring", () => {
    const keyring = make();
    const bytes = serializeKeyring(keyring);
    expect(parseKeyring(bytes, "The keyring")).to.deep.equal(keyring);
    const doc = JSON.parse(text(keyring)) as Record<string, unknown>;
    expect(Object.keys(doc)).to.deep.equal(["chainId", "contract", "creator", "creatorKey", "entries", "format", "taskId"]);
    expect(doc.format).to.equal("flai-keyring/v1");
    expect(doc.taskId).to.equal("9");
    expect(text(keyring).includes(Buffer.from(taskKey).toString("hex"))).to.equal(false);
    const readers = keyring.entries.map((e) => e.reader);
    expect(readers).to.deep.equal([...readers].sort((a, b) => a.toLowerCase().localeCompare(b.toLowerCase())));
  });

  it("a reader without an entry, or admitted under another reader key, is told how to get admitted", async () => {
    const keyring = make();
    await expectCode(
      () => unwrapTaskKey(keyring, outsider, ctx),
      "keyring-no-entry",
      `has no entry for ${outsider.address}`,
      "flai:fl-admit --task 9",
    );
    const rotated = { ...alice, ...readerKeyFromAccountKey("0x" + "a9".repeat(32)) };
    await expectCode(() => unwrapTaskKey(keyring, rotated, ctx), "keyring-no-entry", "not to its current key");
  });

  it("a keyring for another task, contract or chain is refused", async () => {
    const keyring = make();
    for (const other of [{ taskId: 10n }, { contract: "0x" + "11".repeat(20) }, { chainId: 1n }]) {
      await expectCode(
        () => unwrapTaskKey(keyring, alice, { ...ctx, ...other }),
        "keyring-wrong-task",
        "Use a keyring published for this task",
      );
    }
  });

  it("an entry moved to another reader, a forged creatorKey or an altered wrapped key fails authentication", async () => {
    const keyring = make();
    const [first, second] = keyring.entries as [Keyring["entries"][0], Keyring["entries"][0]];
    const moved = { ...keyring, entries: [{ ...first, reader: second.reader, readerKey: second.readerKey }] };
    const mover = first.reader === alice.address ? bob : alice;
    await expectCode(() => unwrapTaskKey(moved, mover, ctx), "keyring-not-authentic", "failed authentication");
    // A host that swaps in its own creatorKey (it knows that key's secret, not the creator's) gets nothing.
    const forged = { ...keyring, creatorKey: outsider.publicKey };
    await expectCode(() => unwrapTaskKey(forged, alice, ctx), "keyring-not-authentic", "flai:fl-admit");
    const wk = first.wrappedKey;
    const altered = { ...keyring, entries: [{ ...first, wrappedKey: wk.slice(0, -1) + (wk.endsWith("0") ? "1" : "0") }, second] };
    const reader = first.reader === alice.address ? alice : bob;
    await expectCode(() => unwrapTaskKey(altered, reader, ctx), "keyring-not-authentic");
  });

  it("a keyring whose creatorKey is another's wraps a key that is not the creator's (host-made keyrings)", () => {
    // Whoever makes a keyring chooses its K: a host that wraps K' to the enclave only hands it K'.
    const hostKey = randomBytes(32);
    const hostRing = buildKeyring({
      ...ctx,
      creator: outsider,
      taskKey: hostKey,
      readers: [{ address: alice.address, readerKey: alice.publicKey }],
    });
    expect(Buffer.from(unwrapTaskKey(hostRing, alice, ctx)).equals(taskKey)).to.equal(false);
  });

  it("taskKeyCandidates: the distinct keys `me` unwraps across a task's keyrings, forged ones included for the caller to try", async () => {
    const first = make([alice]);
    const later = make([bob]);
    expect(taskKeyCandidates([first, later], bob, ctx).map((k) => Buffer.from(k).toString("hex"))).to.deep.equal([
      Buffer.from(taskKey).toString("hex"),
    ]);
    const both = make([alice, bob]);
    expect(taskKeyCandidates([first, both], alice, ctx)).to.have.length(1);
    const forged = buildKeyring({
      ...ctx,
      creator: outsider,
      taskKey: randomBytes(32),
      readers: [{ address: alice.address, readerKey: alice.publicKey }],
    });
    expect(taskKeyCandidates([forged, first], alice, ctx)).to.have.length(2);
    await expectCode(
      () => taskKeyCandidates([first, later], outsider, ctx),
      "keyring-no-entry",
      "None of the 2 keyring(s) of task 9 admits",
    );
    await expectCode(() => taskKeyCandidates([{ ...first, creatorKey: outsider.publicKey }], alice, ctx), "keyring-not-authentic");
  });

  it("wrapTaskKey makes a fresh nonce per entry", () => {
    const a = wrapTaskKey(taskKey, creator, { address: alice.address, readerKey: alice.publicKey }, ctx);
    const b = wrapTaskKey(taskKey, creator, { address: alice.address, readerKey: alice.publicKey }, ctx);
    expect(a.nonce).to.not.equal(b.nonce);
    expect(a.wrappedKey).to.not.equal(b.wrappedKey);
  });

  it("building refuses duplicate readers, a bad task key, a bad reader key and a creator key that is not its secret's", async () => {
    await expectFlaiError(() => make([alice, alice]), `reader ${alice.address} appears twice`);
    await expectFlaiError(() => buildKeyring({ ...ctx, creator, taskKey: randomBytes(16), readers: [] }), "task key must be 32 bytes");
    await expectFlaiError(
      () => buildKeyring({ ...ctx, creator, taskKey, readers: [{ address: alice.address, readerKey: "0x12" }] }),
      `The reader key of ${alice.address}`,
    );
    await expectFlaiError(
      () => buildKeyring({ ...ctx, creator: { ...creator, publicKey: alice.publicKey }, taskKey, readers: [] }),
      "not the public key of its secret",
    );
  });

  describe("parseKeyring is strict", () => {
    const good = () => JSON.parse(text(make())) as Record<string, unknown> & { entries: Record<string, unknown>[] };
    const cases: [string, (d: ReturnType<typeof good>) => unknown, string][] = [
      ["unknown field", (d) => ({ ...d, extra: 1 }), "must have exactly the fields"],
      ["missing field", ({ creatorKey: _, ...d }) => d, "must have exactly the fields"],
      ["unknown entry field", (d) => ({ ...d, entries: [{ ...d.entries[0], note: "x" }] }), "entry 0 must have exactly the fields"],
      ["format", (d) => ({ ...d, format: "flai-keyring/v2" }), 'its format is "flai-keyring/v2"'],
      ["taskId number", (d) => ({ ...d, taskId: 9 }), "its taskId is not a decimal integer string"],
      ["taskId leading zero", (d) => ({ ...d, taskId: "09" }), "its taskId is not a decimal integer string"],
      ["chainId zero", (d) => ({ ...d, chainId: "0" }), "its chainId"],
      ["lowercase creator", (d) => ({ ...d, creator: (d.creator as string).toLowerCase() }), "its creator is not a checksummed address"],
      [
        "bad creatorKey hex",
        (d) => ({ ...d, creatorKey: (d.creatorKey as string).slice(0, -1) + "g" }),
        "its creatorKey is not 0x + lowercase hex",
      ],
      ["uppercase hex", (d) => ({ ...d, creatorKey: (d.creatorKey as string).toUpperCase().replace("0X", "0x") }), "creatorKey"],
      ["short nonce", (d) => ({ ...d, entries: [{ ...d.entries[0], nonce: "0x00" }] }), "entry 0's nonce"],
      ["short wrappedKey", (d) => ({ ...d, entries: [{ ...d.entries[0], wrappedKey: "0x" + "00".repeat(32) }] }), "entry 0's wrappedKey"],
      ["duplicate reader", (d) => ({ ...d, entries: [d.entries[0], d.entries[0]] }), "has two entries"],
      ["entries not array", (d) => ({ ...d, entries: {} }), "its entries are not an array"],
      ["array document", () => [], "the document is not a JSON object"],
    ];
    for (const [name, change, fragment] of cases) {
      it(`refuses: ${name}`, async () => {
        await expectFlaiError(
          () => parseKeyring(bytesOf(change(good())), "The keyring at root 0xabc"),
          "The keyring at root 0xabc",
          fragment,
        );
      });
    }

    it("refuses non-JSON, non-UTF-8 and oversized bytes without parsing them", async () => {
      await expectFlaiError(() => parseKeyring(new TextEncoder().encode("{"), "The keyring"), "not UTF-8 JSON");
      await expectFlaiError(() => parseKeyring(new Uint8Array([0x7b, 0xff, 0x7d]), "The keyring"), "not UTF-8 JSON");
      await expectFlaiError(() => parseKeyring(new Uint8Array(MAX_KEYRING_BYTES + 1), "The keyring"), `more than the ${MAX_KEYRING_BYTES}`);
      const many = { ...good(), entries: new Array(MAX_KEYRING_ENTRIES + 1).fill(0) };
      await expectFlaiError(() => parseKeyring(bytesOf(many), "The keyring"), `more than ${MAX_KEYRING_ENTRIES}`);
    });
  });
});
