// Fakes for the explain tests: a word-counting tokenizer and a backend that records each request.
import assert from 'node:assert/strict';
import type { TokenCounter } from '../../src/extension/chat/tokenCounter';
import type { ChatBackend, ChatMessage, ChatRequest, Delta } from '../../src/extension/chat/types';
import { itemAt } from '../fixtures/itemAt';

/** Counts whitespace-separated words, plus 4 tokens per message and 3 for the generation prompt. */
export class FakeWordTokenizer implements TokenCounter {
  calls = 0;
  async countText(text: string): Promise<number> {
    this.calls++;
    return words(text);
  }
  async countMessages(messages: ChatMessage[]): Promise<number> {
    this.calls++;
    return messageTokens(messages);
  }
}

export function words(text: string): number {
  return text.split(/\s+/).filter(Boolean).length;
}

/** The user message's text of an explain prompt, which is [system, user]. */
export function userContent(messages: readonly ChatMessage[]): string {
  const user = itemAt(messages, 1);
  assert.equal(user.role, 'user');
  return user.content;
}

export function messageTokens(messages: readonly ChatMessage[]): number {
  return messages.reduce((n, m) => n + 4 + words(m.content), 3);
}

/** Replies to each request with `reply(request, index)` in three-word pieces; records requests. */
export class FakeRecordingBackend implements ChatBackend {
  readonly requests: ChatRequest[] = [];
  constructor(private readonly reply: (request: ChatRequest, index: number) => string) {}

  async *stream(request: ChatRequest, signal?: AbortSignal): AsyncIterable<Delta> {
    const index = this.requests.push(structuredClone(request)) - 1;
    const pieces = this.reply(request, index).match(/(\S+\s*){1,3}/g) ?? [];
    for (const piece of pieces) {
      await new Promise((r) => setImmediate(r));
      if (signal?.aborted) throw new Error('aborted');
      yield { kind: 'text', text: piece };
    }
    yield { kind: 'done', finishReason: 'stop' };
  }
}

/** An ExplainSink that keeps everything it was told. */
export class RecordingSink {
  readonly statuses: string[] = [];
  readonly notes: string[] = [];
  readonly pieces: string[] = [];
  status(message: string): void {
    this.statuses.push(message);
  }
  note(message: string): void {
    this.notes.push(message);
  }
  text(delta: string): void {
    this.pieces.push(delta);
  }
}
