import path from "node:path";

import { MerkleTree, ZgFile, type StorageNode, type Uploader } from "#0g-storage-sdk";
import { expect } from "chai";

import { parseSegment } from "../../src/storage/segments.js";
import { RpcError } from "../../src/devnet/storage/rpc.js";
import { computeFileRoot } from "../../src/storage/merkle.js";
import { segmentRootsOf, withSegmentRoots } from "../../src/storage/sdk-tree.js";
import { withQuickPolling } from "../../src/storage/sdk-wait.js";
import { writeSeededFile } from "../../src/util/prng.js";
import { quietly } from "../../src/util/sdk-console.js";

import { tempDir } from "../helpers/project.js";

const KiB = 1024;
const SUBMITTER = "0x00000000000000000000000000000000000000a1";

/** What the SDK derives from a file for an upload: its tree's root, every segment proof, and the submission. */
async function sdkView(file: ZgFile) {
  const [tree, err] = await file.merkleTree();
  if (err !== null || tree === null) throw err ?? new Error("no tree");
  const [submission, subErr] = await file.createSubmission("0x", SUBMITTER);
  if (subErr !== null || submission === null) throw subErr ?? new Error("no submission");
  const proofs = tree.leaves.map((_, i) => tree.proofAt(i));
  return {
    root: tree.rootHash(),
    proofs,
    submission: JSON.parse(JSON.stringify(submission, (_, v) => (typeof v === "bigint" ? v.toString() : v))) as unknown,
  };
}

describe("0G storage SDK given what it accepts: precomputed segment roots, quick polling, a fast strict devnet", function () {
  this.timeout(120_000);

  describe("withSegmentRoots: the SDK's tree and submission from segment roots hashed once", () => {
    // 1 B; one segment + 1 B; 4 MiB + 1 B (17 segments, padded to 18); exactly 2 MiB (a power of two);
    // 1 MiB + 5 chunks + 3 B (submission nodes smaller than a segment at the tail).
    for (const size of [1, 256 * KiB + 1, 4 * 1024 * KiB + 1, 2 * 1024 * KiB, 1024 * KiB + 5 * 256 + 3]) {
      it(`gives the same root, proofs and submission as the SDK's own hashing (${size} B)`, async () => {
        const file = path.join(await tempDir(), "data.bin");
        await writeSeededFile(file, size, size);
        const hashed = await segmentRootsOf(file);
        expect(hashed.root).to.equal(await computeFileRoot(file));

        const plain = await ZgFile.fromFilePath(file);
        const fed = withSegmentRoots(await ZgFile.fromFilePath(file), hashed);
        try {
          const [ours, theirs] = [await quietly(() => sdkView(fed)), await quietly(() => sdkView(plain))];
          expect(ours.root).to.equal(hashed.root);
          expect(ours).to.deep.equal(theirs);
        } finally {
          await Promise.all([plain.close(), fed.close()]);
        }
      });
    }

    it("refuses an empty file, naming it", async () => {
      const file = path.join(await tempDir(), "empty.bin");
      await writeSeededFile(file, 0, 1);
      const error = await segmentRootsOf(file).then(
        () => undefined,
        (e: Error) => e,
      );
      expect(error?.message).to.contain(file).and.to.contain("empty");
    });

    it("builds the SDK's own MerkleTree class, so the SDK's proofs come from its code", async () => {
      const file = path.join(await tempDir(), "data.bin");
      await writeSeededFile(file, 3 * 256 * KiB, 7);
      const fed = withSegmentRoots(await ZgFile.fromFilePath(file), await segmentRootsOf(file));
      try {
        const [tree] = await fed.merkleTree();
        expect(tree).to.be.instanceOf(MerkleTree);
        expect(tree!.leaves).to.have.length(3);
      } finally {
        await fed.close();
      }
    });
  });

  describe("withQuickPolling: the SDK's log-entry wait without its fixed 1 s sleeps", () => {
    type Info = Awaited<ReturnType<StorageNode["getFileInfo"]>>;
    const info = (finalized: boolean) => ({ tx: { seq: 4 }, finalized }) as unknown as Info;

    /** A node answering getFileInfo from `answers` in turn (the last one repeating), counting calls. */
    function fakeNode(answers: Info[]) {
      const calls = { info: 0, status: 0, bySeq: 0 };
      const node = {
        url: "http://node",
        getFileInfo: async (root: string, needAvailable: boolean) => {
          expect([root, needAvailable]).to.deep.equal(["0xroot", true]);
          return answers[Math.min(calls.info++, answers.length - 1)]!;
        },
        getFileInfoByTxSeq: async (seq: number) => {
          expect(seq).to.equal(4);
          calls.bySeq++;
          return info(true);
        },
        getStatus: async () => {
          calls.status++;
          return { logSyncHeight: 12 };
        },
      };
      return { node: node as unknown as StorageNode, calls };
    }

    const uploaderOf = (...nodes: StorageNode[]) => withQuickPolling({ nodes } as unknown as Uploader);

    it("waits through sync and finality with the SDK's messages, and returns the node's info", async () => {
      const { node, calls } = fakeNode([null, info(false), info(true)]);
      const steps: string[] = [];
      const got = await uploaderOf(node).waitForLogEntry("0xroot", true, 0, false, (m) => steps.push(m));
      expect(got).to.deep.equal(info(true));
      expect(steps).to.deep.equal(["Waiting for storage node to sync (height=12)...", "Waiting for finality confirmation..."]);
      expect(calls).to.deep.equal({ info: 3, status: 1, bySeq: 0 });
    });

    it("without finalityRequired, an available entry is enough; by tx seq asks getFileInfoByTxSeq", async () => {
      const { node } = fakeNode([info(false)]);
      expect(await uploaderOf(node).waitForLogEntry("0xroot", false, 0, false)).to.deep.equal(info(false));
      const bySeq = fakeNode([null]);
      expect(await uploaderOf(bySeq.node).waitForLogEntry("0xroot", true, 4, true)).to.deep.equal(info(true));
      expect(bySeq.calls).to.deep.equal({ info: 0, status: 0, bySeq: 1 });
    });

    it("needs every node: waits while the second one lacks the entry", async () => {
      const first = fakeNode([info(true)]);
      const second = fakeNode([null, null, info(true)]);
      await uploaderOf(first.node, second.node).waitForLogEntry("0xroot", true, 0, false);
      expect(second.calls.info).to.equal(3);
      expect(first.calls.info).to.equal(3);
    });

    it("ends when the progress callback throws (how an abandoned upload stops the SDK's loop)", async () => {
      const { node } = fakeNode([null]);
      const wait = uploaderOf(node).waitForLogEntry("0xroot", true, 0, false, () => {
        throw new Error("abandoned");
      });
      const error = await wait.then(
        () => undefined,
        (e: Error) => e,
      );
      expect(error?.message).to.equal("abandoned");
    });
  });

  describe("devnet segment data: strict base64, as the node decodes it", () => {
    const segment = (data: string) => ({
      root: `0x${"11".repeat(32)}`,
      data,
      index: 0,
      fileSize: 3,
      proof: { lemma: [`0x${"22".repeat(32)}`], path: [] },
    });
    const refusal = (data: string) => {
      try {
        parseSegment(segment(data));
      } catch (error) {
        return error instanceof RpcError ? `${error.code} ${String(error.data)}` : String(error);
      }
      return "accepted";
    };

    it("decodes canonical padded base64", () => {
      expect(Buffer.from(parseSegment(segment(Buffer.from("abc").toString("base64"))).data).toString()).to.equal("abc");
      expect(Buffer.from(parseSegment(segment("YWI=")).data).toString()).to.equal("ab");
    });

    it("refuses base64url characters, missing padding, stray bits and non-base64 text", () => {
      for (const bad of ["-_-_", "YWI", "YWJ=", "YW I=", "YWI=YWI=", "!!!!"]) {
        expect(refusal(bad), bad).to.equal("-32602 data: expected base64");
      }
    });
  });
});
