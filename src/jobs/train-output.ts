import { lstat } from "node:fs/promises";
import path from "node:path";

import { flaiError } from "../errors.js";
import type { TrainingResult } from "../tee/enclave.js";
import { writeFileAtomic } from "../util/fs.js";

import { serializeResult } from "./result-file.js";

// flai:train writes two files for a result: the signed result and the model beside it. A user's
// --out may name a file they care about (issue 15: `--out notes.txt` silently replaced notes.txt and
// notes.txt.model.json), so an existing file is only replaced when they say --force; the default
// location under .flai/results is the tool's own and is always replaced by a newer training.

export interface TrainOutputs {
  resultFile: string;
  modelFile: string;
}

/** The result file and the model file flai:train writes for `out`. */
export function trainOutputs(out: string): TrainOutputs {
  // The model file, like the seed's trained_model.json: its SHA-256 is the result hash.
  return { resultFile: out, modelFile: out.replace(/\.json$/, "") + ".model.json" };
}

/**
 * Checked before training, so a refused --out costs nothing: neither file may be a folder, and
 * neither may exist unless `replace` (--force, or the tool's own default location).
 */
export async function checkTrainOutputs(files: TrainOutputs, replace: boolean, label = "--out"): Promise<void> {
  for (const file of [files.resultFile, files.modelFile]) {
    const stats = await lstat(file).catch((error: NodeJS.ErrnoException) => {
      if (error.code === "ENOTDIR") {
        throw flaiError(
          `${label}: cannot write ${file} (ENOTDIR): a part of its path is a file, not a folder. Pass a path inside a folder.`,
        );
      }
      return undefined;
    });
    if (stats === undefined) continue;
    if (stats.isDirectory()) {
      throw flaiError(
        `${label}: ${file} is a folder, not a file. Pass a file path for the result, e.g. --out ${path.join(file, "result.json")}.`,
      );
    }
    if (!replace) {
      throw flaiError(
        `--out: ${file} already exists and flai:train will not overwrite it. ` +
          `Pass another --out, or add --force to replace it (and ${path.basename(files.modelFile)} beside it).`,
      );
    }
  }
}

/**
 * Writes both files atomically; without `replace`, a file that appeared since the check is still never
 * overwritten. A private job has no model file: its model is sealed to the submitter (who reads it with
 * flai:result), and this host never holds the plaintext. Returns the model file written, if any.
 */
export async function writeTrainOutputs(files: TrainOutputs, result: TrainingResult, replace: boolean): Promise<string | undefined> {
  await writeOne(files.resultFile, serializeResult(result), replace);
  if (result.private) return undefined;
  await writeOne(files.modelFile, result.modelBytes, replace);
  return files.modelFile;
}

async function writeOne(file: string, data: string | Uint8Array, replace: boolean): Promise<void> {
  try {
    await writeFileAtomic(file, data, { overwrite: replace });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === undefined) throw error;
    const why: Record<string, string> = {
      EEXIST: "it appeared while training ran; nothing was overwritten — pass another --out, or --force",
      EISDIR: "it is a folder — pass a file path",
      ENOTDIR: "a part of its path is a file, not a folder — pass a path inside a folder",
      EACCES: "permission denied — pass a path you can write",
      EPERM: "permission denied — pass a path you can write",
      EROFS: "the filesystem is read-only — pass a path on a writable disk",
    };
    throw flaiError(`Cannot write ${file} (${code}): ${why[code] ?? "pass another --out"}. No partial file was left behind.`, error);
  }
}
