// The soak test's instruments, checked on their own: the fault proxy really resets and trickles, and
// the end checks really see a temp file, a live child process and a server still answering.
import { spawn } from "node:child_process";
import { mkdir, rm, writeFile } from "node:fs/promises";
import http from "node:http";
import path from "node:path";

import { expect } from "chai";

import { listenLoopback, startFaultProxy } from "../helpers/net.js";
import { tempDir } from "../helpers/project.js";
import { bounded, childPids, isAlive, tempFilesUnder } from "../helpers/soak.js";

const BODY = Buffer.alloc(100_000, 7);

describe("soak instruments", () => {
  let server: Awaited<ReturnType<typeof listenLoopback>>;

  before(async () => {
    server = await listenLoopback(
      http.createServer((req, res) => {
        // A POST is answered with how its body arrived (bytes, chunks); anything else with BODY.
        if (req.method !== "POST") return void res.end(BODY);
        let bytes = 0;
        let chunks = 0;
        req.on("data", (c: Buffer) => ((bytes += c.length), chunks++));
        req.on("end", () => res.end(JSON.stringify({ bytes, chunks })));
      }),
    );
  });

  after(async () => {
    await server.close();
  });

  it("the fault proxy forwards, resets mid-answer, trickles both bodies, and resets when its target is down", async () => {
    const proxy = await startFaultProxy(Number(new URL(server.url).port));
    try {
      expect(Buffer.from(await (await fetch(proxy.url)).arrayBuffer()).equals(BODY)).to.equal(true);

      proxy.setFaults(() => "reset");
      const reset = await fetch(proxy.url)
        .then((r) => r.arrayBuffer())
        .then(
          () => "answered",
          (e: Error) => e.message,
        );
      expect(reset).to.not.equal("answered");

      proxy.setFaults(() => "slow");
      const chunks = await new Promise<Buffer[]>((resolve, reject) => {
        http
          .get(proxy.url, (res) => {
            const got: Buffer[] = [];
            res.on("data", (c: Buffer) => got.push(c));
            res.on("end", () => resolve(got));
          })
          .on("error", reject);
      });
      expect(Buffer.concat(chunks).equals(BODY)).to.equal(true);
      expect(chunks.length).to.be.at.least(Math.floor(BODY.length / 2048));
      // The request body is trickled too.
      const posted = (await (await fetch(proxy.url, { method: "POST", body: BODY })).json()) as { bytes: number; chunks: number };
      expect(posted.bytes).to.equal(BODY.length);
      expect(posted.chunks).to.be.at.least(Math.floor(BODY.length / 2048));
      expect(proxy.counts).to.deep.include({ reset: 1, slow: 2 });
    } finally {
      await proxy.close();
    }

    const closed = await listenLoopback(http.createServer((_req, res) => res.end("x")));
    const port = Number(new URL(closed.url).port);
    await closed.close();
    const orphan = await startFaultProxy(port);
    try {
      const down = await fetch(orphan.url).then(
        () => "answered",
        (e: Error) => e.message,
      );
      expect(down).to.not.equal("answered");
    } finally {
      await orphan.close();
    }
    const gone = await fetch(orphan.url).then(
      () => "answered",
      () => "refused",
    );
    expect(gone).to.equal("refused");
  });

  it("the end checks see temp files at any depth, and a live child process until it exits", async () => {
    const dir = await tempDir("flai-soak-check-");
    await mkdir(path.join(dir, "a", "b"), { recursive: true });
    await writeFile(path.join(dir, "a", "kept.bin"), "x");
    expect(await tempFilesUnder(dir)).to.deep.equal([]);
    await writeFile(path.join(dir, "a", "b", ".model.bin.123-abcdefabcdef.tmp"), "x");
    await writeFile(path.join(dir, "flai-upload-0011aabbccdd"), "x");
    expect((await tempFilesUnder(dir)).map((f) => path.relative(dir, f)).sort()).to.deep.equal(
      [path.join("a", "b", ".model.bin.123-abcdefabcdef.tmp"), "flai-upload-0011aabbccdd"].sort(),
    );
    await rm(dir, { recursive: true });

    const child = spawn(process.execPath, ["-e", "setTimeout(() => {}, 60000)"]);
    const exited = new Promise((resolve) => child.once("exit", resolve));
    try {
      expect(await childPids()).to.include(child.pid);
      expect(isAlive(child.pid!)).to.equal(true);
    } finally {
      child.kill("SIGKILL");
      await exited;
    }
    expect(isAlive(child.pid!)).to.equal(false);
    expect(await childPids()).to.not.include(child.pid);
  });

  it("bounded() tells a plugin error, another error and a hang apart", async () => {
    const { flaiError } = await import("../../src/errors.js");
    expect(await bounded("ok", 1000, async () => 1)).to.deep.equal({ ok: true, value: 1 });
    expect(await bounded("flai", 1000, async () => Promise.reject(flaiError("x")))).to.include({ ok: false, flai: true });
    expect(await bounded("type", 1000, async () => Promise.reject(new TypeError("x")))).to.include({ ok: false, flai: false });
    const hang = await bounded("hang", 50, () => new Promise(() => undefined));
    expect(hang).to.include({ ok: false, flai: false });
    expect((hang as { error: Error }).error.message).to.equal("hang did not end within 50 ms");
  });
});
