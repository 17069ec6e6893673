// Run by test/util/bad-input-fs-temp.test.ts in its own process: starts a writeFileAtomic of a large
// buffer into argv[2]/out.bin and sends itself SIGTERM as soon as the temp file exists on disk, so
// the signal lands mid-write. Prints "finished" only if the write won the race (the test then fails
// loudly instead of passing by luck).
import { existsSync } from "node:fs";

import { trackedTempFiles } from "../../src/util/cleanup.js";
import { writeFileAtomic } from "../../src/util/fs.js";

if (process.argv[1] === import.meta.filename) {
  const dest = `${process.argv[2]}/out.bin`;
  // 256 MiB: written in 512 KiB chunks, so the event loop turns many times before the rename.
  let done = false;
  const writing = writeFileAtomic(dest, Buffer.alloc(256 * 1024 * 1024, 7)).finally(() => {
    done = true;
  });
  const poll = (): void => {
    if (done) return;
    const tmp = trackedTempFiles()[0];
    if (tmp !== undefined && existsSync(tmp)) process.kill(process.pid, "SIGTERM");
    else setImmediate(poll);
  };
  poll();
  await writing;
  console.log("finished");
}
