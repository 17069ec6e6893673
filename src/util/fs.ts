import { randomBytes } from "node:crypto";
import { mkdir, open, rename, rm } from "node:fs/promises";
import path from "node:path";

/**
 * Writes `data` to `dest` so that a reader sees either nothing or the whole file: the bytes go to a
 * temp file in the same folder (same filesystem, so rename is atomic), are flushed, then renamed.
 */
export async function writeFileAtomic(
  dest: string,
  data: Uint8Array | string,
  { mode = 0o644, overwrite = true }: { mode?: number; overwrite?: boolean } = {},
): Promise<void> {
  await mkdir(path.dirname(dest), { recursive: true });
  const tmp = path.join(path.dirname(dest), `.${path.basename(dest)}.${randomBytes(6).toString("hex")}.tmp`);
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
  }
}
