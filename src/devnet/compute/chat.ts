/** An OpenAI chat message as the provider receives it; `content` is a string or a list of parts. */
export interface ChatMessage {
  role: string;
  content: unknown;
}

export interface ChatAnswer {
  content: string;
}

/** What the provider serves: the assistant's reply to the conversation so far. */
export type ChatAnswerer = (messages: ChatMessage[]) => ChatAnswer | Promise<ChatAnswer>;

/** The text of a message: a string as is, text parts joined (OpenAI's `[{type: "text", text}]` form). */
export function messageText(content: unknown): string {
  if (typeof content === "string") return content;
  if (Array.isArray(content)) {
    return content
      .map((part: unknown) =>
        typeof part === "object" && part !== null && typeof (part as { text?: unknown }).text === "string"
          ? (part as { text: string }).text
          : "",
      )
      .filter((text) => text !== "")
      .join("\n");
  }
  return "";
}

export function isChatMessages(value: unknown): value is ChatMessage[] {
  return (
    Array.isArray(value) &&
    value.length > 0 &&
    value.every((m: unknown) => typeof m === "object" && m !== null && typeof (m as { role?: unknown }).role === "string" && "content" in m)
  );
}
