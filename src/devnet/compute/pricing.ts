import { messageText, type ChatMessage } from "./chat.js";

export interface Prices {
  /** Neuron (1e-18 0G) per prompt token. */
  inputPrice: bigint;
  /** Neuron per completion token. */
  outputPrice: bigint;
}

export interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
}

/** Word runs and single punctuation marks: deterministic, so a test can predict every fee. */
const TOKEN = /[\p{L}\p{N}_]+|[^\s\p{L}\p{N}_]/gu;

export function countTokens(text: string): number {
  return text.match(TOKEN)?.length ?? 0;
}

export function promptTokens(messages: ChatMessage[]): number {
  return messages.reduce((sum, m) => sum + countTokens(messageText(m.content)), 0);
}

export function usageOf(messages: ChatMessage[], reply: string): Usage {
  const prompt = promptTokens(messages);
  const completion = countTokens(reply);
  return { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion };
}

/** The fee the SDK's processResponse computes from the same usage (input × inputPrice + output × outputPrice). */
export function feeOf(usage: Pick<Usage, "prompt_tokens" | "completion_tokens">, prices: Prices): bigint {
  return BigInt(usage.prompt_tokens) * prices.inputPrice + BigInt(usage.completion_tokens) * prices.outputPrice;
}
