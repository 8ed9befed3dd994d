import { randomUUID } from 'node:crypto';
import { Emitter, type Disposable } from '../common/emitter';
import type { ChatEntry, EntryStatus, ReplyStats } from '../../webview/protocol';
import type { ChatBackend, ChatMessage, ServerTimings } from './types';

export type ConversationEvent =
  | { type: 'entryAdded'; entry: ChatEntry }
  | { type: 'entryDelta'; id: string; text: string }
  | { type: 'entryDone'; id: string; status: EntryStatus; stats?: ReplyStats; error?: string }
  | { type: 'busy'; busy: boolean }
  | { type: 'cleared' };

export interface ConversationOptions {
  systemPrompt?: string;
  temperature?: number;
  now?: () => number;
}

/** Stats for one reply: llama-server's own generation speed when it sent timings, else measured here. */
export function replyStats(
  startedAt: number,
  firstTokenAt: number | null,
  endedAt: number,
  chunks: number,
  timings: ServerTimings | undefined,
): ReplyStats {
  const ttft = firstTokenAt === null ? endedAt - startedAt : firstTokenAt - startedAt;
  if (timings) {
    return { tokens: timings.predictedTokens, tokensPerSecond: timings.predictedPerSecond, timeToFirstTokenMs: ttft };
  }
  const genMs = firstTokenAt === null ? 0 : endedAt - firstTokenAt;
  return { tokens: chunks, tokensPerSecond: genMs > 0 ? ((chunks - 1) * 1000) / genMs : 0, timeToFirstTokenMs: ttft };
}

/**
 * The host-owned transcript. The webview only mirrors it: the host sends a snapshot on `ready` and
 * then the events below. A user's message is stored before anything is sent, so it survives any failure.
 */
export class Conversation implements Disposable {
  private readonly emitter = new Emitter<ConversationEvent>();
  readonly onEvent = this.emitter.event;
  private readonly list: ChatEntry[] = [];
  private controller: AbortController | null = null;
  private readonly now: () => number;

  constructor(private readonly options: ConversationOptions = {}) {
    this.now = options.now ?? Date.now;
  }

  get entries(): readonly ChatEntry[] {
    return this.list;
  }

  get busy(): boolean {
    return this.controller !== null;
  }

  clear(): void {
    this.stop();
    this.list.length = 0;
    this.emitter.fire({ type: 'cleared' });
  }

  stop(): void {
    this.controller?.abort();
  }

  /** Adds the user's message and streams the reply. Resolves when the reply ends, however it ends. */
  async send(text: string, backend: ChatBackend): Promise<ChatEntry> {
    if (this.controller) throw new Error('A reply is still streaming; stop it first.');
    const user: ChatEntry = { id: randomUUID(), role: 'user', text, status: 'complete' };
    this.add(user);
    const reply: ChatEntry = { id: randomUUID(), role: 'assistant', text: '', status: 'streaming' };
    const history = this.history();
    this.add(reply);
    const controller = new AbortController();
    this.controller = controller;
    this.emitter.fire({ type: 'busy', busy: true });
    const startedAt = this.now();
    let firstTokenAt: number | null = null;
    let chunks = 0;
    let timings: ServerTimings | undefined;
    try {
      for await (const delta of backend.stream({ messages: history, temperature: this.options.temperature }, controller.signal)) {
        if (delta.kind === 'text') {
          if (firstTokenAt === null) firstTokenAt = this.now();
          chunks++;
          reply.text += delta.text;
          this.emitter.fire({ type: 'entryDelta', id: reply.id, text: delta.text });
        } else {
          timings = delta.timings;
        }
      }
      this.finish(reply, 'complete', replyStats(startedAt, firstTokenAt, this.now(), chunks, timings));
    } catch (err) {
      if (controller.signal.aborted) {
        this.finish(reply, 'stopped', replyStats(startedAt, firstTokenAt, this.now(), chunks, timings));
      } else {
        this.finish(reply, 'error', undefined, err instanceof Error ? err.message : String(err));
      }
    } finally {
      this.controller = null;
      this.emitter.fire({ type: 'busy', busy: false });
    }
    return reply;
  }

  /**
   * Keeps a message that could not be sent (no model running) so the user's text is never lost; the
   * reply is an error entry, which history() leaves out.
   */
  addUnsent(text: string, error: string): void {
    this.add({ id: randomUUID(), role: 'user', text, status: 'complete' });
    this.add({ id: randomUUID(), role: 'assistant', text: '', status: 'error', error });
  }

  dispose(): void {
    this.stop();
    this.emitter.dispose();
  }

  /**
   * Messages for the model: failed or empty replies are left out, and user turns left unanswered by
   * them are merged into the next one, since many chat templates reject two user turns in a row.
   */
  private history(): ChatMessage[] {
    const messages: ChatMessage[] = [];
    if (this.options.systemPrompt) messages.push({ role: 'system', content: this.options.systemPrompt });
    for (const e of this.list) {
      if (e.role === 'assistant' && (e.status === 'error' || e.text === '')) continue;
      const last = messages[messages.length - 1];
      if (e.role === 'user' && last?.role === 'user') last.content += `\n\n${e.text}`;
      else messages.push({ role: e.role, content: e.text });
    }
    return messages;
  }

  private add(entry: ChatEntry): void {
    this.list.push(entry);
    this.emitter.fire({ type: 'entryAdded', entry: { ...entry } });
  }

  private finish(entry: ChatEntry, status: EntryStatus, stats?: ReplyStats, error?: string): void {
    entry.status = status;
    if (stats) entry.stats = stats;
    if (error) entry.error = error;
    this.emitter.fire({ type: 'entryDone', id: entry.id, status, stats, error });
  }
}
