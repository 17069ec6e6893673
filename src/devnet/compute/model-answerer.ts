import { linearModel, type GlobalModel } from "../../federated/global-model.js";
import { predictLabels, predictProba } from "../../ml/logistic.js";

import { messageText, type ChatAnswerer, type ChatMessage } from "./chat.js";

/**
 * Serves a federated global model as a chat model: the last user message carries one feature
 * vector (`[0.1, 2.3, …]`, `{"features": […]}`, or either inside other text) or several rows
 * (`[[…], […]]`), and each row gets `prediction: <0|1>, probability: <P(y = 1)>`. Anything else gets
 * a usage answer naming the feature count, so a person typing at it learns what to send.
 */
export function modelAnswerer(model: GlobalModel): ChatAnswerer {
  const usage =
    `Send the ${model.features} feature values of a sample as a JSON array, e.g. ${example(model.features)} ` +
    `(or {"features": [...]}, or several rows as [[...], [...]]), and I answer with the global model's ` +
    `prediction and the probability of class 1 (logistic regression, round ${model.round}).`;
  return (messages: ChatMessage[]) => {
    const last = [...messages].reverse().find((m) => m.role === "user");
    const rows = last === undefined ? undefined : featureRows(messageText(last.content));
    if (rows === undefined) return { content: usage };
    const wrong = rows.find((r) => r.length !== model.features);
    if (wrong !== undefined) {
      return { content: `This model takes ${model.features} features per sample, but a row has ${wrong.length}. ${usage}` };
    }
    const probabilities = predictProba(linearModel(model), rows.flat(), rows.length, model.features);
    const labels = predictLabels(probabilities);
    const lines = rows.map((_, i) => `prediction: ${labels[i]}, probability: ${probabilities[i]!.toFixed(4)}`);
    return { content: lines.join("\n") };
  };
}

function example(features: number): string {
  return `[${Array.from({ length: Math.min(features, 3) }, (_, i) => (i + 1) / 10).join(", ")}${features > 3 ? ", ..." : ""}]`;
}

/** Rows of finite numbers found in the text, or undefined when it carries none. */
function featureRows(text: string): number[][] | undefined {
  for (const candidate of jsonCandidates(text)) {
    let doc: unknown;
    try {
      doc = JSON.parse(candidate);
    } catch {
      continue;
    }
    if (typeof doc === "object" && doc !== null && !Array.isArray(doc)) doc = (doc as { features?: unknown }).features;
    const isRow = (v: unknown): v is number[] =>
      Array.isArray(v) && v.length > 0 && v.every((x) => typeof x === "number" && Number.isFinite(x));
    if (isRow(doc)) return [doc];
    if (Array.isArray(doc) && doc.length > 0 && doc.every(isRow)) return doc;
  }
  return undefined;
}

/** The whole text, then the span from the first "{" or "[" to the last matching closer. */
function jsonCandidates(text: string): string[] {
  const trimmed = text.trim();
  const out = [trimmed];
  for (const [open, close] of [
    ["{", "}"],
    ["[", "]"],
  ] as const) {
    const start = trimmed.indexOf(open);
    const end = trimmed.lastIndexOf(close);
    if (start >= 0 && end > start) out.push(trimmed.slice(start, end + 1));
  }
  return out;
}
