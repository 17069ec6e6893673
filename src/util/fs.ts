import { mkdir, open, rename, rm } from "node:fs/promises";
import path from "node:path";

import { flaiError } from "../errors.js";
import { tempPathBeside, trackTempFile } from "./cleanup.js";

/** Errors that mean "no room for the bytes": a full device, or a full quota. */
const NO_SPACE = new Set(["ENOSPC", "EDQUOT"]);

/**
 * Writes `data` to `dest` so that a reader sees either nothing or the whole file: the bytes go to a
 * temp file in the same folder (same filesystem, so rename is atomic), are flushed, then renamed.
 * On any failure the temp file is removed and `dest` is left as it was. A full disk is reported as
 * a plugin error naming the file; other errors keep their Node.js `code` for callers to inspect.
 */
export async function writeFileAtomic(
  dest: string,
  data: Uint8Array | string,
  { mode = 0o644, overwrite = true }: { mode?: number; overwrite?: boolean } = {},
): Promise<void> {
  try {
    await writeThroughTemp(dest, data, mode, overwrite);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== undefined && NO_SPACE.has(code)) {
      throw flaiError(
        `Cannot write ${dest}: no space left on the device (${code}). Nothing was changed: ` +
          `${overwrite ? "any earlier version of the file is intact and " : ""}no partial file was left behind. ` +
          `Free some disk space (or choose another location) and run the command again.`,
        error,
      );
    }
    throw error;
  }
}

async function writeThroughTemp(dest: string, data: Uint8Array | string, mode: number, overwrite: boolean): Promise<void> {
  await mkdir(path.dirname(dest), { recursive: true });
  // A pid-stamped name lets sweepStaleTemps recognize a killed writer's file; tracking removes it on
  // SIGINT/SIGTERM or exit while the write is in flight.
  const tmp = tempPathBeside(dest);
  const forget = trackTempFile(tmp);
  try {
    const handle = await open(tmp, "wx", mode);
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    if (!overwrite) {
      // link() fails if dest exists, so a concurrent writer cannot be clobbered.
      const { link } = await import("node:fs/promises");
      await link(tmp, dest);
      await rm(tmp, { force: true });
      return;
    }
    await rename(tmp, dest);
  } catch (error) {
    await rm(tmp, { force: true });
    throw error;
  } finally {
    forget();
  }
}
