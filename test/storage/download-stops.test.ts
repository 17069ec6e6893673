import { randomBytes } from "node:crypto";
import { readdir, readFile, rm } from "node:fs/promises";
import path from "node:path";

import { expect } from "chai";

import { ZeroGStorage } from "../../src/storage/zerog.js";
import { SEGMENT_SIZE } from "../../src/storage/merkle.js";
import { trackedTempFiles } from "../../src/util/cleanup.js";
import { storageFaultOf } from "../../src/verify/storage-fault.js";
import { expectFlaiError } from "../helpers/assert.js";
import { startFakeZeroG, type FakeZeroG, type FakeZeroGOptions } from "../helpers/fake-zerog.js";
import { tempDir } from "../helpers/project.js";

// Issue 15: a node claiming a 50 GB file had 0.67 GB written before the error, and the SDK's download
// went on for 200 s after we gave up; a steady download was abandoned as "made no progress". Our own
// segment loop checks the claimed size first, proves each segment as it comes, stops every request
// when it ends, and counts progress by segments written.

/** Five segments, the last one partial. */
const FILE = randomBytes(5 * SEGMENT_SIZE - 1000);
/** Longer than any backoff between retries: a request the client still meant to send would be in. */
const SETTLE_MS = 1500;

function client(server: FakeZeroG, timeoutSeconds = 5, retries = 0): ZeroGStorage {
  return new ZeroGStorage({
    indexerUrl: server.url,
    evmRpc: async () => "http://127.0.0.1:9",
    signer: async () => {
      throw new Error("no uploads here");
    },
    timeoutSeconds,
    retries,
  });
}

describe("0G downloads (issue 15): size checked first, each segment proven, an end that stops the transfer", () => {
  let dir: string;
  let server: FakeZeroG | undefined;
  beforeEach(async () => {
    dir = await tempDir("flai-download-");
  });
  afterEach(async () => {
    await server?.close();
    server = undefined;
    await rm(dir, { recursive: true, force: true });
  });

  async function serve(opts: Omit<FakeZeroGOptions, "bytes">): Promise<FakeZeroG> {
    server = await startFakeZeroG({ bytes: FILE, ...opts });
    return server;
  }

  /** The download fails with `fragments`, leaves nothing beside `out`, and sends nothing afterwards. */
  async function failsAndStops(fake: FakeZeroG, storage: ZeroGStorage, ...fragments: string[]) {
    const out = path.join(dir, "out.bin");
    const error = await expectFlaiError(() => storage.download(fake.root, out), ...fragments);
    const failedAt = Date.now();
    await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
    expect(
      fake.segmentRequests.filter((t) => t > failedAt),
      "segment requests after the error",
    ).to.deep.equal([]);
    expect(await readdir(dir), "no output, no temp file").to.deep.equal([]);
    expect(trackedTempFiles().filter((f) => f.startsWith(dir))).to.deep.equal([]);
    return error;
  }

  it("downloads byte-identical through the segment loop, reporting segments", async () => {
    const fake = await serve({});
    const seen: number[] = [];
    const out = path.join(dir, "out.bin");
    const got = await client(fake).download(fake.root, out, {
      onProgress: (p) => p.segmentsDone !== undefined && seen.push(p.segmentsDone),
    });
    expect(got).to.include({ root: fake.root, size: FILE.length });
    expect((await readFile(out)).equals(FILE)).to.equal(true);
    expect(seen).to.deep.equal([1, 2, 3, 4, 5]);
  });

  it("a node claiming a 50 GB file: refused before any segment is asked for", async () => {
    const fake = await serve({ claimedSize: 50 * 1024 ** 3 });
    await failsAndStops(fake, client(fake), fake.root, "53687091200 bytes", "4 GiB", "Nothing was downloaded");
    expect(fake.segmentRequests).to.deep.equal([]);
  });

  it("a node claiming a size the proofs do not fit: stopped at the first segment, nothing written", async () => {
    const fake = await serve({ claimedSize: FILE.length + 3 * SEGMENT_SIZE });
    await failsAndStops(fake, client(fake), "served bytes that are not", "segment 0");
    expect(fake.segmentRequests.length).to.equal(1);
  });

  it("a corrupt segment 2 of 5: stopped there (3 requests), nothing written, nothing asked after", async () => {
    const fake = await serve({ fault: (i) => (i === 2 ? "corrupt" : undefined) });
    const error = await failsAndStops(fake, client(fake), fake.url, "served bytes that are not", "segment 2", "no more was downloaded");
    expect(fake.segmentRequests.length).to.equal(3);
    // A verifier calls this "tampered" by the code, not by the wording (src/verify/storage-fault.ts).
    expect(storageFaultOf(error)).to.equal("root-mismatch");
  });

  it("an endless segment answer: cut off at the node limit, the connection closed, no retry", async () => {
    const fake = await serve({ fault: (i) => (i === 1 ? "endless" : undefined) });
    await failsAndStops(fake, client(fake, 5, 3), fake.url, "zgs_downloadSegmentWithProof", "4 MiB", "the transfer was stopped");
    expect(fake.segmentRequests.length, "no retry of an oversized answer").to.equal(2);
    expect(fake.cutOff, "the server saw the connection close").to.equal(1);
    expect(fake.endlessBytes, "the transfer stopped near the limit").to.be.below(16 * 1024 * 1024);
  });

  it("a Content-Length of 50 GB on a segment answer: refused before its body is read", async () => {
    const fake = await serve({ fault: (i) => (i === 0 ? "huge-length" : undefined) });
    await failsAndStops(fake, client(fake), fake.url, "zgs_downloadSegmentWithProof", "4 MiB");
    expect(fake.cutOff).to.equal(1);
  });

  it("an endless file-info answer: cut off at the node limit before any download", async () => {
    const fake = await serve({ endlessInfo: true });
    await failsAndStops(fake, client(fake), fake.url, "zgs_getFileInfo", "4 MiB");
    expect(fake.segmentRequests).to.deep.equal([]);
    expect(fake.cutOff).to.equal(1);
  });

  it("a node that drops the connection at segment 1 (retried once): an error naming it, nothing written, nothing asked after", async () => {
    const fake = await serve({ fault: (i) => (i === 1 ? "reset" : undefined) });
    await failsAndStops(fake, client(fake, 5, 1), fake.url, "failed to serve segment 1", "Nothing was written");
    expect(fake.segmentRequests.length, "segment 0, then segment 1 twice").to.equal(3);
  });

  it("a holder that fails every segment: each is taken from the next holder the indexer lists", async () => {
    const good = await startFakeZeroG({ bytes: FILE });
    try {
      const fake = await serve({ fault: () => "reset", otherHolders: [good.url] });
      const out = path.join(dir, "out.bin");
      await client(fake, 5, 0).download(fake.root, out);
      expect((await readFile(out)).equals(FILE)).to.equal(true);
      expect(fake.segmentRequests.length, "the failing holder was asked").to.be.above(0);
    } finally {
      await good.close();
    }
  });

  it("a node that stops sending at segment 3: abandoned after timeoutSeconds as no progress, its request dropped, none after", async () => {
    // retries 3 at 3 s: one attempt may take 750 ms, so the stall timer (3 s) fires before the retries end.
    const fake = await serve({ fault: (i) => (i === 3 ? "hang" : undefined) });
    const error = await failsAndStops(fake, client(fake, 3, 3), "made no progress for 3 s", fake.root);
    expect(fake.segmentRequests.length).to.be.within(4, 8);
    expect(fake.cutOff, "each hung request's connection was closed").to.equal(fake.segmentRequests.length - 3);
    expect(error.message).to.contain("downloading segments");
  });

  it("a slow but steady node (each segment within the timeout, the whole file beyond it) is not abandoned", async () => {
    // 5 segments × 600 ms outlast the 2 s stall timeout; each one comes well within it (and within one 2 s attempt).
    const fake = await serve({ delayMs: 600 });
    const out = path.join(dir, "out.bin");
    const started = Date.now();
    await client(fake, 2, 0).download(fake.root, out);
    expect(Date.now() - started, "the transfer outlasted the stall timeout").to.be.above(2000);
    expect((await readFile(out)).equals(FILE)).to.equal(true);
  });
});
