import { flaiError } from "../errors.js";
import { parseDataset, validateFeatureCount, type Dataset } from "../ml/dataset.js";
import type { ClassLabel } from "../ml/parameters.js";
import { checkSchema, schemaOptions, type DatasetOptions } from "../ml/schema.js";

import { modelClasses, type GlobalModel } from "./global-model.js";

/**
 * The client's data with its labels as indices into the task's classes. A client holds whichever
 * classes its data has (one is fine: non-IID federations have such clients); a label the task does
 * not know is refused by name, since no output of the model could learn it.
 */
export function alignClasses(data: Dataset, classes: readonly ClassLabel[], source: string): Dataset {
  const key = (c: ClassLabel) => `${typeof c}:${String(c)}`;
  const index = new Map(classes.map((c, k) => [key(c), k]));
  const map = data.classes.map((c) => index.get(key(c)));
  const unknown = data.classes.filter((_, k) => map[k] === undefined);
  if (unknown.length > 0) {
    throw flaiError(
      `${source} has label(s) ${unknown.map((c) => JSON.stringify(c)).join(", ")} that are not among the task's classes ` +
        `${classes.map((c) => JSON.stringify(c)).join(", ")}. Drop those rows, or join a task for these classes.`,
    );
  }
  if (map.length === classes.length && map.every((m, k) => m === k)) return data;
  const labels = new Uint8Array(data.rows);
  for (let i = 0; i < data.rows; i++) labels[i] = map[data.labels[i]!]!;
  return { ...data, labels, classes: [...classes] };
}

/**
 * How every party reads data for a task: the task's classes and, for CSV tasks, its columns (label,
 * ignored columns). Binary tasks without a schema parse as they always did (no options).
 */
export function taskDatasetOptions(model: GlobalModel): DatasetOptions {
  if (model.schema !== undefined) return schemaOptions(model.schema, modelClasses(model));
  return model.classes !== undefined ? { classes: model.classes } : {};
}

/** A client's (or the evaluation) file read as the task reads data, checked against its columns. */
export function readTaskData(bytes: Uint8Array, model: GlobalModel, source: string): Dataset {
  return checkTaskData(parseDataset(bytes, source, taskDatasetOptions(model)), model, source);
}

/**
 * Data (parsed here or handed over as a Dataset) that fits the task: its feature count, its columns
 * when both sides name them (the difference named), and labels mapped onto the task's classes.
 */
export function checkTaskData(data: Dataset, model: GlobalModel, source: string): Dataset {
  validateFeatureCount(data, model.features, source);
  if (model.schema !== undefined) checkSchema(model.schema, data, source);
  return alignClasses(data, modelClasses(model), source);
}
