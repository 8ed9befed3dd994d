import { randomUUID } from 'node:crypto';
import { Emitter, type Disposable } from '../common/emitter';
import type { Attachment, ChatEntry, EntryStatus, ReplyStats } from './entries';
import { ReplyInterruptedError } from './replyWatch';
import type { ChatBackend, ChatMessage, ServerTimings } from './types';

export type ConversationEvent =
  | { type: 'entryAdded'; entry: ChatEntry }
  | { type: 'entryDelta'; id: string; text: string }
  | { type: 'entryDone'; id: string; status: EntryStatus; stats?: ReplyStats; error?: string }
  | { type: 'busy'; busy: boolean }
  /** The transcript was replaced (new chat, another chat opened, regenerate, edit): resync from a snapshot. */
  | { type: 'cleared' };

/** Lets the owner trim or count the messages before they go to the model (see contextWindow.ts). */
export type PrepareRequest = (messages: ChatMessage[]) => Promise<ChatMessage[]>;

export interface ConversationOptions {
  /** A function is asked for each request, so that a changed setting applies to the next message. */
  systemPrompt?: string | (() => string);
  temperature?: number;
  now?: () => number;
  prepareRequest?: PrepareRequest;
}

/** What a conversation needs to be stored and reopened. */
export interface ConversationState {
  id: string;
  createdAt: number;
  entries: ChatEntry[];
}

/** A history title: the first user message's first line, shortened. */
export function titleOf(entries: readonly ChatEntry[]): string {
  const first = entries.find((e) => e.role === 'user')?.text ?? '';
  const line = first.trim().split('\n')[0]!.trim(); // split always returns at least one element
  if (line === '') return 'New chat';
  return line.length > 60 ? `${line.slice(0, 59)}…` : line;
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
  private list: ChatEntry[] = [];
  private controller: AbortController | null = null;
  private readonly now: () => number;
  private chatId: string = randomUUID();
  private created: number;
  /** Set by whoever knows the server's context (ContextTracker); called before every request. */
  prepareRequest: PrepareRequest | undefined;

  constructor(private readonly options: ConversationOptions = {}) {
    this.now = options.now ?? Date.now;
    this.created = this.now();
    this.prepareRequest = options.prepareRequest;
  }

  get id(): string {
    return this.chatId;
  }

  get createdAt(): number {
    return this.created;
  }

  get title(): string {
    return titleOf(this.list);
  }

  /** Replaces the transcript with a stored one (stopping any reply). */
  load(state: ConversationState): void {
    this.stop();
    this.chatId = state.id;
    this.created = state.createdAt;
    this.list = state.entries.map((e) => ({ ...e }));
    this.emitter.fire({ type: 'cleared' });
  }

  get entries(): readonly ChatEntry[] {
    return this.list;
  }

  get busy(): boolean {
    return this.controller !== null;
  }

  /** Starts a new, empty conversation with a fresh id (the old one stays in the store). */
  clear(): void {
    this.load({ id: randomUUID(), createdAt: this.now(), entries: [] });
  }

  stop(): void {
    this.controller?.abort();
  }

  /** Adds the user's message and streams the reply. Resolves when the reply ends, however it ends. */
  async send(text: string, backend: ChatBackend, attachments?: Attachment[]): Promise<ChatEntry> {
    if (this.controller) throw new Error('A reply is still streaming; stop it first.');
    const user: ChatEntry = { id: randomUUID(), role: 'user', text, status: 'complete' };
    if (attachments && attachments.length > 0) user.attachments = attachments.map((a) => ({ ...a }));
    this.add(user);
    return this.streamReply(backend);
  }

  /** Replaces the last reply (and anything after the last user message) with a new one. */
  async regenerate(backend: ChatBackend): Promise<ChatEntry> {
    if (this.controller) throw new Error('A reply is still streaming; stop it first.');
    const lastUser = this.list.map((e) => e.role).lastIndexOf('user');
    if (lastUser === -1) throw new Error('There is no message to answer again.');
    this.list.splice(lastUser + 1);
    this.emitter.fire({ type: 'cleared' });
    return this.streamReply(backend);
  }

  /** Drops a past user message and everything after it, then sends the edited text in its place. */
  async editAndResend(id: string, text: string, backend: ChatBackend): Promise<ChatEntry> {
    if (this.controller) throw new Error('A reply is still streaming; stop it first.');
    const index = this.list.findIndex((e) => e.id === id && e.role === 'user');
    const edited = this.list[index];
    if (edited === undefined) throw new Error('That message is no longer in this conversation.');
    const attachments = edited.attachments;
    this.list.splice(index);
    this.emitter.fire({ type: 'cleared' });
    return this.send(text, backend, attachments);
  }

  private async streamReply(backend: ChatBackend): Promise<ChatEntry> {
    const reply: ChatEntry = { id: randomUUID(), role: 'assistant', text: '', status: 'streaming' };
    const controller = new AbortController();
    this.controller = controller;
    const history = this.history();
    this.add(reply);
    this.emitter.fire({ type: 'busy', busy: true });
    const startedAt = this.now();
    let firstTokenAt: number | null = null;
    let chunks = 0;
    let timings: ServerTimings | undefined;
    try {
      const messages = this.prepareRequest ? await this.prepareRequest(history) : history;
      if (controller.signal.aborted) throw new Error('stopped');
      for await (const delta of backend.stream({ messages, temperature: this.options.temperature }, controller.signal)) {
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
      } else if (err instanceof ReplyInterruptedError) {
        this.finish(reply, 'interrupted', replyStats(startedAt, firstTokenAt, this.now(), chunks, timings), err.message);
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
  history(): ChatMessage[] {
    const messages: ChatMessage[] = [];
    const system = typeof this.options.systemPrompt === 'function' ? this.options.systemPrompt() : this.options.systemPrompt;
    if (system) messages.push({ role: 'system', content: system });
    for (const e of this.list) {
      if (e.role === 'assistant' && (e.status === 'error' || e.status === 'streaming' || e.text === '')) continue;
      const content = e.role === 'user' ? withAttachments(e) : e.text;
      const last = messages[messages.length - 1];
      if (e.role === 'user' && last?.role === 'user') last.content += `\n\n${content}`;
      else messages.push({ role: e.role, content });
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

/** A user message as the model reads it: each attachment in a labelled fence, then the question. */
export function withAttachments(entry: ChatEntry): string {
  if (!entry.attachments || entry.attachments.length === 0) return entry.text;
  const blocks = entry.attachments.map((a) => {
    const fence = '`'.repeat(Math.max(3, longestRun(a.text, '`') + 1));
    return `${a.label}:\n${fence}\n${a.text}\n${fence}`;
  });
  return `${blocks.join('\n\n')}\n\n${entry.text}`;
}

function longestRun(text: string, char: string): number {
  let best = 0;
  let run = 0;
  for (const c of text) {
    run = c === char ? run + 1 : 0;
    if (run > best) best = run;
  }
  return best;
}
