import type { ChatMessage } from './types';

/** Counts tokens the way the running model will: its own tokenizer and chat template. */
export interface TokenCounter {
  /** True when the counts are a guess from the text's length, not the model's tokenizer (a server without /tokenize). */
  readonly estimated?: boolean;
  /** Tokens of plain text (an attachment). */
  countText(text: string, signal?: AbortSignal): Promise<number>;
  /** Tokens of a whole request after the chat template is applied (the prompt the model reads). */
  countMessages(messages: ChatMessage[], signal?: AbortSignal): Promise<number>;
}

export interface ServerTokenCounterOptions {
  baseUrl: string;
  /** llama-server refuses /tokenize and /apply-template without it (Bearer). */
  apiKey: string;
  fetch?: typeof fetch;
}

/** llama-server's /tokenize and /apply-template. */
export class ServerTokenCounter implements TokenCounter {
  private readonly fetchFn: typeof fetch;

  constructor(private readonly options: ServerTokenCounterOptions) {
    this.fetchFn = options.fetch ?? fetch;
  }

  async countText(text: string, signal?: AbortSignal): Promise<number> {
    const body = await this.post('/tokenize', { content: text, add_special: false }, signal);
    const tokens = (body as { tokens?: unknown }).tokens;
    if (!Array.isArray(tokens)) throw new Error('llama-server /tokenize answered without tokens');
    return tokens.length;
  }

  async countMessages(messages: ChatMessage[], signal?: AbortSignal): Promise<number> {
    const body = await this.post('/apply-template', { messages }, signal);
    const prompt = (body as { prompt?: unknown }).prompt;
    if (typeof prompt !== 'string') throw new Error('llama-server /apply-template answered without a prompt');
    const tokens = await this.post('/tokenize', { content: prompt, add_special: true, parse_special: true }, signal);
    const list = (tokens as { tokens?: unknown }).tokens;
    if (!Array.isArray(list)) throw new Error('llama-server /tokenize answered without tokens');
    return list.length;
  }

  private async post(path: string, payload: unknown, signal?: AbortSignal): Promise<unknown> {
    const response = await this.fetchFn(`${this.options.baseUrl}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${this.options.apiKey}` },
      body: JSON.stringify(payload),
      signal,
    });
    if (!response.ok) throw new Error(`llama-server ${path} answered HTTP ${response.status}`);
    const body: unknown = await response.json();
    if (typeof body !== 'object' || body === null) throw new Error(`llama-server ${path} answered with no object`);
    return body;
  }
}

/** Characters per token of English prose and code with the usual BPE vocabularies: a rough rule, shown as an estimate. */
const CHARS_PER_TOKEN = 4;
/** What a chat template adds around each message (role markers), roughly. */
const TOKENS_PER_MESSAGE = 4;

/** For a server that cannot count tokens: an estimate from the length of the text, marked as such. */
export class EstimatedTokenCounter implements TokenCounter {
  readonly estimated = true;

  countText(text: string): Promise<number> {
    return Promise.resolve(Math.ceil(text.length / CHARS_PER_TOKEN));
  }

  countMessages(messages: ChatMessage[]): Promise<number> {
    return Promise.resolve(messages.reduce((sum, m) => sum + TOKENS_PER_MESSAGE + Math.ceil(m.content.length / CHARS_PER_TOKEN), 0));
  }
}
