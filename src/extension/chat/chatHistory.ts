import { Emitter, type Disposable } from '../common/emitter';
import { errorMessage } from '../common/errors';
import type { ChatSummary } from './entries';
import type { Conversation } from './conversation';
import type { SavedChat } from './historyFormat';
import type { ChatStore } from './store';

export interface ChatHistoryOptions {
  /** Streamed text is written at most this often; everything else is written at once. */
  flushIntervalMs?: number;
  now?: () => number;
}

/**
 * Keeps the live conversation on disk and the list of past ones: every change to the transcript is saved
 * (streamed text at most every `flushIntervalMs`, and at the end of a reply), so killing the extension host
 * mid-reply loses at most that interval; the store marks such a reply 'interrupted' when it is read back.
 * An empty conversation is never written. Every fault is told on `onProblem`: a failed save once per streak of
 * failures (each change tries again), a chat file left out of the list, a list or delete that failed.
 */
export class ChatHistory implements Disposable {
  private readonly changed = new Emitter<void>();
  /** Fires when the list of chats changes. */
  readonly onDidChange = this.changed.event;
  private readonly problems = new Emitter<string>();
  /** A history fault the user must be told about, as one plain sentence. */
  readonly onProblem = this.problems.event;
  /** Saving failed and has not worked since: the failure was told, and is not told again until a save works. */
  private saveFailing = false;
  private summaries: ChatSummary[] = [];
  private timer: ReturnType<typeof setTimeout> | undefined;
  private lastWrite = Number.NEGATIVE_INFINITY;
  private readonly disposables: Disposable[] = [];
  private readonly interval: number;
  private readonly now: () => number;

  constructor(
    private readonly store: ChatStore,
    private readonly conversation: Conversation,
    options: ChatHistoryOptions = {},
  ) {
    this.interval = options.flushIntervalMs ?? 500;
    this.now = options.now ?? Date.now;
    this.disposables.push(
      store.onProblem((message) => this.problems.fire(message)),
      conversation.onEvent((event) => {
        if (event.type === 'entryDelta') this.saveSoon();
        else if (event.type !== 'cleared' || conversation.entries.length > 0) void this.saveNow();
      }),
    );
  }

  get chats(): readonly ChatSummary[] {
    return this.summaries;
  }

  /** Loads the list and reopens the most recent conversation; a failure is told on onProblem. */
  async init(): Promise<void> {
    try {
      this.summaries = await this.store.list();
      this.changed.fire();
      const latest = this.summaries[0];
      if (latest && this.conversation.entries.length === 0) await this.open(latest.id);
    } catch (err) {
      this.problems.fire(`Chat history: the saved chats could not be listed: ${errorMessage(err)}`);
    }
  }

  async open(id: string): Promise<boolean> {
    if (id === this.conversation.id) return true;
    await this.saveNow();
    const chat = await this.store.load(id);
    if (!chat) {
      await this.refresh();
      return false;
    }
    this.conversation.load({ id: chat.id, createdAt: chat.createdAt, entries: chat.entries });
    return true;
  }

  async newChat(): Promise<void> {
    await this.saveNow();
    this.conversation.clear();
    this.changed.fire();
  }

  async delete(id: string): Promise<void> {
    const title = this.summaries.find((s) => s.id === id)?.title ?? id;
    if (id === this.conversation.id) {
      this.cancelTimer();
      this.conversation.clear();
    }
    try {
      await this.store.delete(id);
    } catch (err) {
      this.problems.fire(`Chat history: deleting "${title}" failed: ${errorMessage(err)}`);
    }
    await this.refresh();
  }

  /** Writes the conversation now (and waits for it). */
  async saveNow(): Promise<void> {
    this.cancelTimer();
    const c = this.conversation;
    if (c.entries.length === 0) return;
    this.lastWrite = this.now();
    const chat: SavedChat = {
      id: c.id,
      title: c.title,
      createdAt: c.createdAt,
      updatedAt: this.now(),
      entries: c.entries.map((e) => ({ ...e })),
    };
    try {
      await this.store.save(chat);
    } catch (err) {
      if (!this.saveFailing) {
        this.saveFailing = true;
        this.problems.fire(`Chat history: saving "${chat.title}" failed (${errorMessage(err)}). Until a save works, this chat is only in memory; each change tries again.`);
      }
      return;
    }
    this.saveFailing = false;
    const known = this.summaries.find((s) => s.id === chat.id);
    if (!known || known.title !== chat.title || known.messages !== chat.entries.length) await this.refresh();
    else known.updatedAt = chat.updatedAt;
  }

  dispose(): void {
    this.cancelTimer();
    for (const d of this.disposables.splice(0)) d.dispose();
    this.changed.dispose();
    this.problems.dispose();
  }

  private saveSoon(): void {
    if (this.timer) return;
    const wait = Math.max(0, this.lastWrite + this.interval - this.now());
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.saveNow();
    }, wait);
  }

  private cancelTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private async refresh(): Promise<void> {
    try {
      this.summaries = await this.store.list();
    } catch (err) {
      this.problems.fire(`Chat history: the saved chats could not be listed: ${errorMessage(err)}`);
    }
    this.changed.fire();
  }
}
