import { randomUUID } from 'node:crypto';
import { Emitter, type Disposable } from '../common/emitter';
import type { Attachment, AttachmentKind, AttachmentOrigin } from './entries';
import { fitToContext } from './contextWindow';
import type { TokenCounter } from './tokenCounter';
import type { ChatMessage } from './types';

/** What the editor offers for a chip; vscode/editorContext.ts reads it. */
export interface ContextSource {
  collect(kind: AttachmentKind): Promise<{ label: string; text: string; origin?: AttachmentOrigin } | undefined>;
}

export interface ContextTrackerDeps {
  source: ContextSource;
  getTokenCounter(): TokenCounter | undefined;
  getContextSize(): number | undefined;
  /** The messages the next request would start from (without the pending chips). */
  getHistory(): ChatMessage[];
  log: { warn(message: string): void };
}

/** A chip waiting to go with the next message. */
export interface PendingAttachment extends Attachment {
  id: string;
}

/** The chips and the context meter; present/chatContextView.ts turns this into what the view draws. */
export interface ContextState {
  pending: PendingAttachment[];
  /** Prompt tokens the next request would use, as the server counts them; null when unknown. */
  used: number | null;
  /** The server's context size; null when no server is running. */
  limit: number | null;
  /** How many of the oldest turns the next request leaves out so that it fits. */
  omittedTurns: number;
  /** The counts are an estimate from the text's length (a server without /tokenize), not the model's tokenizer. */
  estimated?: true;
}

/**
 * The chips waiting to go with the next message and the context meter: prompt tokens (the server's own
 * count, through its chat template) against its context size, and how many old turns must be left out.
 */
export class ContextTracker implements Disposable {
  private readonly emitter = new Emitter<ContextState>();
  readonly onDidChange = this.emitter.event;
  private pending: PendingAttachment[] = [];
  private used: number | null = null;
  private omittedTurns = 0;
  private refreshTimer: ReturnType<typeof setTimeout> | undefined;
  private refreshAbort: AbortController | undefined;

  constructor(private readonly deps: ContextTrackerDeps) {}

  get state(): ContextState {
    return {
      pending: this.pending.map((p) => ({ ...p })),
      used: this.used,
      limit: this.deps.getContextSize() ?? null,
      omittedTurns: this.omittedTurns,
      ...(this.deps.getTokenCounter()?.estimated ? { estimated: true as const } : {}),
    };
  }

  async attach(kind: AttachmentKind): Promise<boolean> {
    const found = await this.deps.source.collect(kind);
    if (!found) return false;
    const chip: PendingAttachment = { id: randomUUID(), kind, label: found.label, text: found.text, tokens: null };
    if (found.origin) chip.origin = found.origin;
    this.pending = [...this.pending.filter((p) => !(p.kind === kind && p.label === found.label)), chip];
    this.changed();
    const counter = this.deps.getTokenCounter();
    if (counter) {
      try {
        chip.tokens = await counter.countText(found.text);
      } catch (err) {
        this.deps.log.warn(`Context: counting tokens failed: ${String(err)}`);
      }
    }
    this.refreshSoon(0);
    return true;
  }

  detach(id: string): void {
    this.pending = this.pending.filter((p) => p.id !== id);
    this.refreshSoon(0);
  }

  /** Hands the chips to a message being sent and clears them. */
  take(): Attachment[] {
    const taken = this.pending.map(({ kind, label, text, tokens, origin }): Attachment => (origin ? { kind, label, text, tokens, origin } : { kind, label, text, tokens }));
    this.pending = [];
    this.changed();
    return taken;
  }

  /** Conversation.prepareRequest: leaves out the oldest turns so the request fits the server's context. */
  readonly prepareRequest = async (messages: ChatMessage[]): Promise<ChatMessage[]> => {
    const counter = this.deps.getTokenCounter();
    const size = this.deps.getContextSize();
    if (!counter || !size) return messages;
    try {
      const fit = await fitToContext(messages, size, counter);
      this.used = fit.used;
      this.omittedTurns = fit.omittedTurns;
      this.changed();
      return fit.messages;
    } catch (err) {
      this.deps.log.warn(`Context: could not count the prompt, sending it whole: ${String(err)}`);
      return messages;
    }
  };

  /** Recounts after the conversation, the chips or the server changed (debounced). */
  refreshSoon(delayMs = 200): void {
    if (this.refreshTimer) clearTimeout(this.refreshTimer);
    this.refreshTimer = setTimeout(() => {
      this.refreshTimer = undefined;
      void this.refresh();
    }, delayMs);
  }

  async refresh(): Promise<void> {
    this.refreshAbort?.abort();
    const counter = this.deps.getTokenCounter();
    const size = this.deps.getContextSize();
    if (!counter || !size) {
      this.used = null;
      this.omittedTurns = 0;
      this.changed();
      return;
    }
    const abort = new AbortController();
    this.refreshAbort = abort;
    const history = this.deps.getHistory();
    const chipText = this.pending.map((p) => `${p.label}:\n${p.text}`).join('\n\n');
    const messages: ChatMessage[] = chipText ? [...history, { role: 'user', content: chipText }] : history;
    try {
      const fit = messages.length === 0 ? { used: 0, omittedTurns: 0 } : await fitToContext(messages, size, counter, abort.signal);
      if (abort.signal.aborted) return;
      this.used = fit.used;
      this.omittedTurns = fit.omittedTurns;
    } catch (err) {
      if (abort.signal.aborted) return;
      this.used = null;
      this.deps.log.warn(`Context: counting tokens failed: ${String(err)}`);
    }
    this.changed();
  }

  dispose(): void {
    if (this.refreshTimer) clearTimeout(this.refreshTimer);
    this.refreshAbort?.abort();
    this.emitter.dispose();
  }

  private changed(): void {
    this.emitter.fire(this.state);
  }
}
