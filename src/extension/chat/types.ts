/** OpenAI-compatible chat types shared by the client, the conversation model and the views. */

export type Role = 'system' | 'user' | 'assistant';

export interface ChatMessage {
  role: Role;
  content: string;
}

/** llama-server's own measurements, sent with the last streamed chunk. */
export interface ServerTimings {
  promptTokens: number;
  promptMs: number;
  promptPerSecond: number;
  predictedTokens: number;
  predictedMs: number;
  predictedPerSecond: number;
}

export type Delta =
  | { kind: 'text'; text: string }
  | { kind: 'done'; finishReason: string | null; timings?: ServerTimings };

export interface ChatRequest {
  messages: ChatMessage[];
  temperature?: number;
  maxTokens?: number;
  seed?: number;
}

export interface ChatBackend {
  stream(request: ChatRequest, signal?: AbortSignal): AsyncIterable<Delta>;
}
