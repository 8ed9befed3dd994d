import type { ChatMessage, ChatRequest, Role } from './types';

/**
 * Another extension's request through VS Code's language model API (vscode.lm), reduced to what this model
 * reads: text. vscode/languageModel/ turns VS Code's message classes into these.
 */
export type LmPart =
  | { kind: 'text'; text: string }
  /** A tool's result as text: this model is offered no tools, but a conversation may carry another model's. */
  | { kind: 'toolResult'; text: string }
  /** Images, data, tool calls: nothing this model can read. */
  | { kind: 'other' };

export interface LmMessage {
  role: Role;
  parts: readonly LmPart[];
}

/**
 * The chat messages for llama-server: each message's readable parts joined, empty ones left out, and neighbours of
 * the same role merged (chat templates expect user and assistant turns to alternate).
 */
export function toChatMessages(messages: readonly LmMessage[]): ChatMessage[] {
  const out: ChatMessage[] = [];
  for (const message of messages) {
    const content = message.parts.map((p) => (p.kind === 'other' ? '' : p.text)).join('');
    if (content.trim() === '') continue;
    const last = out[out.length - 1];
    if (last?.role === message.role) last.content += `\n\n${content}`;
    else out.push({ role: message.role, content });
  }
  return out;
}

/** The sampling options a caller may pass (LanguageModelChatRequestOptions.modelOptions) that this server takes. */
export function requestOptions(modelOptions: { readonly [name: string]: unknown } | undefined): Omit<ChatRequest, 'messages'> {
  const options: Omit<ChatRequest, 'messages'> = {};
  const temperature = modelOptions?.temperature;
  if (typeof temperature === 'number' && Number.isFinite(temperature) && temperature >= 0) options.temperature = temperature;
  const maxTokens = modelOptions?.maxTokens ?? modelOptions?.max_tokens;
  if (typeof maxTokens === 'number' && Number.isSafeInteger(maxTokens) && maxTokens > 0) options.maxTokens = maxTokens;
  return options;
}

/** What VS Code's model picker and vscode.lm.selectChatModels show of the running model. */
export interface LmModelInfo {
  id: string;
  name: string;
  family: string;
  version: string;
  maxInputTokens: number;
  maxOutputTokens: number;
  tooltip: string;
}

/**
 * The model llama-server runs now. Its context holds prompt and reply together, so both limits are the context
 * size; the id is the file name, so a different model is a different entry.
 */
export function languageModelInfo(server: { model: string; contextSize: number }): LmModelInfo {
  const name = server.model.replace(/\.gguf$/i, '');
  return {
    id: server.model,
    name,
    family: 'llama.cpp',
    version: server.model,
    maxInputTokens: server.contextSize,
    maxOutputTokens: server.contextSize,
    tooltip: `${server.model}, run locally by Headroom's llama-server (context ${server.contextSize} tokens)`,
  };
}
